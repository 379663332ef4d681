import { DomainException, ErrorKind } from '../errors';

export enum OperatorKeyExceptionCode {
  NotFound = 'operator-key-not-found',
  LastKey = 'last-operator-key',
}

export class OperatorKeyException extends DomainException<OperatorKeyExceptionCode> {
  get kind(): ErrorKind {
    return this.code === OperatorKeyExceptionCode.LastKey ? ErrorKind.Conflict : ErrorKind.NotFound;
  }
}
