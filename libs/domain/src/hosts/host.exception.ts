import { DomainException, ErrorKind } from '../errors';

export enum HostExceptionCode {
  NotFound = 'host-not-found',
  NameTaken = 'host-name-taken',
  InUse = 'host-in-use',
  UnknownDriver = 'unknown-storage-driver',
  BadFencing = 'bad-fencing',
}

export class HostException extends DomainException<HostExceptionCode> {
  get kind(): ErrorKind {
    switch (this.code) {
      case HostExceptionCode.NotFound:
        return ErrorKind.NotFound;
      case HostExceptionCode.UnknownDriver:
      case HostExceptionCode.BadFencing:
        return ErrorKind.Invalid;
      default:
        return ErrorKind.Conflict;
    }
  }
}
