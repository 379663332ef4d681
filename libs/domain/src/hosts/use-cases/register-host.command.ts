import { Type } from 'class-transformer';
import {
  IsIn,
  IsInt,
  IsNumber,
  IsObject,
  IsUUID,
  IsOptional,
  Matches,
  Max,
  Min,
  ValidateBy,
  ValidateNested,
} from 'class-validator';
import { Command, IsAddress, IsPort, IsPrivateKey, IsSshUser, IsResourceName, LABEL_PATTERN } from '../../shared';

export class HostCapacityInput {
  @IsNumber()
  @Min(0.1)
  @Max(4096)
  cpus!: number;

  @IsInt()
  @Min(256)
  memoryMb!: number;

  @IsInt()
  @Min(1)
  diskGb!: number;
}

/** Labels place databases by failure domain (rack, hypervisor); keys and values reach hosts' commands, so they are strict. */
const IsLabels = () =>
  ValidateBy({
    name: 'isLabels',
    validator: {
      validate: (v: unknown) =>
        typeof v === 'object' &&
        v !== null &&
        !Array.isArray(v) &&
        Object.keys(v).length <= 32 &&
        Object.entries(v).every(
          ([k, val]) => LABEL_PATTERN.test(k) && typeof val === 'string' && LABEL_PATTERN.test(val),
        ),
      defaultMessage: () => 'labels must be an object of at most 32 key: value strings of [A-Za-z0-9._-], 1-63 chars',
    },
  });

export class RegisterHostCommand extends Command {
  @IsResourceName()
  name!: string;

  // An IP address or DNS name: where tenants reach the host's databases.
  @IsAddress('address')
  address!: string;

  @IsOptional()
  @IsIn(['local', 'ssh'])
  connection?: 'local' | 'ssh';

  // Where the control plane reaches the host over SSH, if not `address` (e.g. a management network).
  @IsOptional()
  @IsAddress('sshAddress')
  sshAddress?: string;

  @IsOptional()
  @IsPort()
  sshPort?: number;

  @IsOptional()
  @IsSshUser()
  sshUser?: string;

  // Kept sealed with the master key, never returned.
  @IsOptional()
  @IsPrivateKey()
  sshPrivateKey?: string;

  @IsOptional()
  @IsLabels()
  labels?: Record<string, string>;

  @IsObject()
  @ValidateNested()
  @Type(() => HostCapacityInput)
  capacity!: HostCapacityInput;

  @IsOptional()
  @IsIn(['directory', 'san-lvm'], { message: 'storageDriver must be one of: directory, san-lvm' })
  storageDriver?: string;

  // san-lvm: the storage backend whose LUNs this host attaches.
  @IsOptional()
  @IsUUID()
  storageBackendId?: string;

  @IsOptional()
  @Matches(/^(?!.*(^|\/)\.\.(\/|$))\/[A-Za-z0-9._/-]{1,200}$/, {
    message: 'dataRoot must be an absolute path of [A-Za-z0-9._/-] without ".." segments',
  })
  dataRoot?: string;
}
