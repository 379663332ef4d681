import { DomainException, ErrorKind } from '../errors';

export enum FailoverExceptionCode {
  NotHighlyAvailable = 'not-highly-available',
  NoTarget = 'no-failover-target',
  BadTarget = 'bad-failover-target',
  BadState = 'bad-state-for-failover',
  HostNotFound = 'host-not-found',
  DatabaseNotFound = 'database-not-found',
  NotFenceable = 'host-not-fenceable',
  ConfirmationRequired = 'confirmation-required',
  DataLossRisk = 'data-loss-risk',
  /** The host must answer for the action (e.g. its mirrors to rejoin) and does not: try again later. */
  HostUnavailable = 'host-unavailable',
}

/** Failover, switchover and host actions (drain, evacuate, fence, activate). */
export class FailoverException extends DomainException<FailoverExceptionCode> {
  get kind(): ErrorKind {
    switch (this.code) {
      case FailoverExceptionCode.HostNotFound:
      case FailoverExceptionCode.DatabaseNotFound:
        return ErrorKind.NotFound;
      case FailoverExceptionCode.NotHighlyAvailable:
      case FailoverExceptionCode.BadTarget:
      case FailoverExceptionCode.ConfirmationRequired:
        return ErrorKind.Unprocessable;
      case FailoverExceptionCode.NoTarget:
      case FailoverExceptionCode.HostUnavailable:
        return ErrorKind.Unavailable;
      default:
        return ErrorKind.Conflict;
    }
  }
}
