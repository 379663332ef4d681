import { DomainException, ErrorKind } from '../errors';

export enum TenantExceptionCode {
  NotFound = 'tenant-not-found',
  NameTaken = 'tenant-name-taken',
  KeyNotFound = 'api-key-not-found',
}

export class TenantException extends DomainException<TenantExceptionCode> {
  get kind(): ErrorKind {
    return this.code === TenantExceptionCode.NameTaken ? ErrorKind.Conflict : ErrorKind.NotFound;
  }
}
