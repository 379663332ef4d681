declare module 'shell-escape' {
  /** Quotes each argument for a POSIX shell and joins them with spaces. */
  function shellEscape(args: readonly string[]): string;
  export = shellEscape;
}
