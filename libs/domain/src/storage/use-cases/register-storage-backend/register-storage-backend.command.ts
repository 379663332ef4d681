import { IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import {
  Command,
  IsAddress,
  IsHostKeyFingerprint,
  IsPort,
  IsPrivateKey,
  IsResourceName,
  IsSshUser,
} from '../../../shared';

export class RegisterStorageBackendCommand extends Command {
  @IsResourceName()
  name!: string;

  // The iSCSI portal as database hosts reach it (the SAN network).
  @IsAddress('portalAddress')
  portalAddress!: string;

  @IsOptional()
  @IsPort()
  portalPort?: number;

  @IsAddress('sshAddress')
  sshAddress!: string;

  @IsOptional()
  @IsPort()
  sshPort?: number;

  @IsOptional()
  @IsSshUser()
  sshUser?: string;

  @IsPrivateKey()
  sshPrivateKey!: string;

  // The SSH server's key (`ssh-keygen -lf` of its host key). Without it, the first connection records the key
  // presented (trust on first use) and the view shows it for the operator to confirm.
  @IsOptional()
  @IsHostKeyFingerprint()
  hostKeyFingerprint?: string;

  @Matches(/^[a-z0-9][a-z0-9_.+-]{0,62}$/, { message: 'volumeGroup must be an LVM volume group name' })
  volumeGroup!: string;

  @IsOptional()
  @Matches(/^[a-z0-9][a-z0-9_.+-]{0,62}$/, { message: 'thinPool must be an LVM logical volume name' })
  thinPool?: string;

  @IsOptional()
  @Matches(/^iqn\.\d{4}-\d{2}\.[a-z0-9.-]+$/, { message: 'iqnPrefix must look like iqn.2026-11.com.example' })
  iqnPrefix?: string;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(16384)
  lunSizeGb?: number;
}
