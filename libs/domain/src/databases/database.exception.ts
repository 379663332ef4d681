import { DomainException, ErrorKind } from '../errors';

export enum DatabaseExceptionCode {
  NotFound = 'database-not-found',
  NameTaken = 'database-name-taken',
  NameReserved = 'database-name-reserved',
  PlanNotFound = 'plan-not-found',
  VersionUnsupported = 'engine-version-unsupported',
  ImageUnavailable = 'engine-image-unavailable',
  PlanTooLarge = 'plan-too-large',
  HaUnavailable = 'ha-mode-unavailable',
  Busy = 'database-busy',
  InvalidState = 'database-invalid-state',
  NoCapacity = 'no-host-capacity',
  NoEndpoint = 'database-not-placed',
  NotMovable = 'database-not-movable',
  HostUnavailable = 'database-host-unavailable',
}

const KIND: Record<DatabaseExceptionCode, ErrorKind> = {
  [DatabaseExceptionCode.NotFound]: ErrorKind.NotFound,
  [DatabaseExceptionCode.NameTaken]: ErrorKind.Conflict,
  [DatabaseExceptionCode.NameReserved]: ErrorKind.Invalid,
  [DatabaseExceptionCode.PlanNotFound]: ErrorKind.Invalid,
  [DatabaseExceptionCode.VersionUnsupported]: ErrorKind.Invalid,
  // Well-formed requests this platform can never carry out as it stands: no retry helps, unlike a 503.
  [DatabaseExceptionCode.ImageUnavailable]: ErrorKind.Unprocessable,
  [DatabaseExceptionCode.PlanTooLarge]: ErrorKind.Unprocessable,
  [DatabaseExceptionCode.HaUnavailable]: ErrorKind.Unprocessable,
  [DatabaseExceptionCode.Busy]: ErrorKind.Conflict,
  [DatabaseExceptionCode.InvalidState]: ErrorKind.Conflict,
  [DatabaseExceptionCode.NoCapacity]: ErrorKind.Unavailable,
  [DatabaseExceptionCode.NoEndpoint]: ErrorKind.Conflict,
  [DatabaseExceptionCode.NotMovable]: ErrorKind.Unprocessable,
  [DatabaseExceptionCode.HostUnavailable]: ErrorKind.Unavailable,
};

export class DatabaseException extends DomainException<DatabaseExceptionCode> {
  get kind(): ErrorKind {
    return KIND[this.code];
  }
}
