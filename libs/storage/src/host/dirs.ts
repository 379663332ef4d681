/**
 * The argv that creates a directory on a host (parents too) with an explicit mode, applied again when it already
 * exists. Never `mkdir -p`: its mode comes from the umask of whatever shell runs it (a restrictive one once left
 * volume roots `drwx------ root`, which the engines' own users cannot enter). 0755 for what a container mounts
 * (the engine drops to its own user inside it); 0700 for what only the platform reads (backups).
 */
export function mkdirCmd(path: string, mode: '0755' | '0700' = '0755'): string[] {
  return ['install', '-d', '-m', mode, '--', path];
}

/**
 * Creates a copy's target root with `mode` when it is missing and leaves an existing one as it is (a copy into a
 * prepared volume keeps the mode its driver gave it).
 */
export function mkdirKeepCmd(path: string, mode: '0755' | '0700' = '0755'): string[] {
  return ['mkdir', '-p', '-m', mode, '--', path];
}
