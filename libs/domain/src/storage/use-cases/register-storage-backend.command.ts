import { IsInt, IsOptional, IsString, Length, Matches, Max, MaxLength, Min } from 'class-validator';
import { Command, NAME_MESSAGE, NAME_PATTERN } from '../../shared';

const ADDRESS = /^[A-Za-z0-9][A-Za-z0-9.:-]{0,252}$/;

export class RegisterStorageBackendCommand extends Command {
  @IsString()
  @Length(3, 40, { message: NAME_MESSAGE })
  @Matches(NAME_PATTERN, { message: NAME_MESSAGE })
  name!: string;

  // The iSCSI portal as database hosts reach it (the SAN network).
  @Matches(ADDRESS, { message: 'portalAddress must be an IP address or host name' })
  portalAddress!: string;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(65535)
  portalPort?: number;

  @Matches(ADDRESS, { message: 'sshAddress must be an IP address or host name' })
  sshAddress!: string;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(65535)
  sshPort?: number;

  @IsOptional()
  @Matches(/^[a-z_][a-z0-9_-]{0,31}$/, { message: 'sshUser must be a POSIX user name' })
  sshUser?: string;

  @IsString()
  @MaxLength(16384)
  @Matches(/^-----BEGIN [A-Z ]*PRIVATE KEY-----/, { message: 'sshPrivateKey must be a PEM/OpenSSH private key' })
  sshPrivateKey!: string;

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
