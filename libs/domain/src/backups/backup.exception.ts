import { DomainException, ErrorKind } from '../errors';

export enum BackupExceptionCode {
  NotFound = 'backup-not-found',
  NotRestorable = 'backup-not-restorable',
  Busy = 'database-busy',
  BadState = 'database-invalid-state',
}

export class BackupException extends DomainException<BackupExceptionCode> {
  get kind(): ErrorKind {
    switch (this.code) {
      case BackupExceptionCode.NotFound:
        return ErrorKind.NotFound;
      case BackupExceptionCode.NotRestorable:
        return ErrorKind.Unprocessable;
      default:
        return ErrorKind.Conflict;
    }
  }
}
