import { DomainException, ErrorKind } from '../errors';

export class OperationNotFound extends DomainException<'operation-not-found'> {
  readonly kind = ErrorKind.NotFound;
  constructor() {
    super('operation-not-found', 'operation not found');
  }
}
