import type { Cryptography } from '@app/domain/ports';
import {
  ARCHIVE_ENCRYPTION,
  ArchiveAuthenticationError,
  decryptArchive,
  encryptArchive,
  generateDataKey,
  Sha256Stream,
} from './archive-cipher';
import { generateApiKey, generatePassword, hashApiKey } from './tokens';

/** The domain's CRYPTOGRAPHY port over this library's functions. */
export const cryptography: Cryptography = {
  generatePassword: () => generatePassword(),
  generateApiKey,
  hashApiKey,
  generateDataKey,
  archiveEncryption: ARCHIVE_ENCRYPTION,
  encryptArchive,
  decryptArchive,
  isArchiveAuthenticationError: (err: unknown): err is Error => err instanceof ArchiveAuthenticationError,
  sha256Stream: () => new Sha256Stream(),
};
