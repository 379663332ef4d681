import { DomainException, ErrorKind } from '../errors';

export enum BackupExceptionCode {
  NotFound = 'backup-not-found',
  NotRestorable = 'backup-not-restorable',
  Busy = 'database-busy',
  BadState = 'database-invalid-state',
  PurgeNotConfirmed = 'backup-purge-not-confirmed',
}

export class BackupException extends DomainException<BackupExceptionCode> {
  get kind(): ErrorKind {
    switch (this.code) {
      case BackupExceptionCode.NotFound:
        return ErrorKind.NotFound;
      case BackupExceptionCode.NotRestorable:
        return ErrorKind.Unprocessable;
      case BackupExceptionCode.PurgeNotConfirmed:
        return ErrorKind.Invalid;
      default:
        return ErrorKind.Conflict;
    }
  }
}
