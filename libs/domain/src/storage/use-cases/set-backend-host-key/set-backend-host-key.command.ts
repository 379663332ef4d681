import { IsUUID } from 'class-validator';
import { Command, IsHostKeyFingerprint } from '../../../shared';

/** Confirms or replaces a storage backend's pinned SSH host key. */
export class SetBackendHostKeyCommand extends Command {
  @IsUUID()
  storageBackendId!: string;

  @IsHostKeyFingerprint()
  hostKeyFingerprint!: string;
}
