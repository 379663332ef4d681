import { IsUUID } from 'class-validator';
import { Command, IsHostKeyFingerprint } from '../../../shared';

/** Confirms or replaces a host's pinned SSH host key. */
export class SetHostKeyCommand extends Command {
  @IsUUID()
  hostId!: string;

  @IsHostKeyFingerprint()
  hostKeyFingerprint!: string;
}
