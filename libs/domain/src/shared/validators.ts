import { applyDecorators } from '@nestjs/common';
import { IsInt, IsString, Length, Matches, Max, MaxLength, Min, ValidateBy } from 'class-validator';
import { HOST_KEY_FINGERPRINT_MESSAGE, parseHostKeyFingerprint } from './host-key';
import { NAME_MESSAGE, NAME_PATTERN } from './patterns';

// Field validators shared by the commands that take network and SSH access details (hosts, storage
// backends): these values reach SSH connections and command lines, so they are checked strictly, once.

/** An IP address or DNS name. */
export const IsAddress = (field: string) =>
  applyDecorators(
    IsString(),
    Matches(/^[A-Za-z0-9][A-Za-z0-9.:-]{0,252}$/, { message: `${field} must be an IP address or host name` }),
  );

export const IsPort = () => applyDecorators(IsInt(), Min(1), Max(65535));

export const IsSshUser = () => Matches(/^[a-z_][a-z0-9_-]{0,31}$/, { message: 'sshUser must be a POSIX user name' });

/** A private key, kept sealed with the master key and never returned. */
export const IsPrivateKey = () =>
  applyDecorators(
    IsString(),
    MaxLength(16384),
    Matches(/^-----BEGIN [A-Z ]*PRIVATE KEY-----/, { message: 'sshPrivateKey must be a PEM/OpenSSH private key' }),
  );

/** The SSH server's host key fingerprint (SHA256:…), pinned so an impostor at the address gets no credentials. */
export const IsHostKeyFingerprint = () =>
  ValidateBy({
    name: 'isHostKeyFingerprint',
    validator: {
      validate: (v: unknown) => parseHostKeyFingerprint(v) !== null,
      defaultMessage: () => HOST_KEY_FINGERPRINT_MESSAGE,
    },
  });

/** A resource name (database, tenant, host, backend): 3-40 chars of [a-z0-9-], starting with a letter. */
export const IsResourceName = () =>
  applyDecorators(
    IsString(),
    Length(3, 40, { message: NAME_MESSAGE }),
    Matches(NAME_PATTERN, { message: NAME_MESSAGE }),
  );
