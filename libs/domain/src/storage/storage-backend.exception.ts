import { DomainException, ErrorKind } from '../errors';

export enum StorageExceptionCode {
  NotFound = 'storage-backend-not-found',
  NameTaken = 'storage-backend-name-taken',
}

export class StorageException extends DomainException<StorageExceptionCode> {
  get kind(): ErrorKind {
    return this.code === StorageExceptionCode.NotFound ? ErrorKind.NotFound : ErrorKind.Conflict;
  }
}
