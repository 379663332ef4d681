/**
 * Every module's exceptions carry a code from their own enum; one HTTP filter maps codes to statuses,
 * so domain code never thinks in HTTP.
 */
export enum ErrorKind {
  NotFound = 'not-found',
  Conflict = 'conflict',
  Invalid = 'invalid',
  Unprocessable = 'unprocessable',
  Unavailable = 'unavailable',
  Forbidden = 'forbidden',
}

export abstract class DomainException<C extends string = string> extends Error {
  abstract readonly kind: ErrorKind;
  constructor(
    readonly code: C,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}
