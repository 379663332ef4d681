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
  ValidateNested,
} from 'class-validator';
import {
  Command,
  IsAddress,
  IsHostKeyFingerprint,
  IsPort,
  IsPrivateKey,
  IsSshUser,
  IsResourceName,
} from '../../../shared';
import type { FencingInput } from '../../fencing';
import { IsFencing, IsLabels } from '../../host.validators';

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

  // The SSH server's key (`ssh-keygen -lf` of its host key). Without it, the first connection records the key
  // presented (trust on first use) and the view shows it for the operator to confirm.
  @IsOptional()
  @IsHostKeyFingerprint()
  hostKeyFingerprint?: string;

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

  // DRBD: this host's address on the replication network.
  @IsOptional()
  @Matches(/^((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/, {
    message: 'replicationAddress must be an IPv4 address',
  })
  replicationAddress?: string;

  // HA: the network interface that carries the databases' floating addresses (on the tenants' network).
  @IsOptional()
  @Matches(/^[a-zA-Z0-9_.-]{1,15}$/, { message: 'vipInterface must be an interface name like eth1' })
  vipInterface?: string;

  // Secret parameters (keys matching /pass|secret|key|token|community/i) are sealed and never returned.
  @IsOptional()
  @IsFencing()
  fencing?: FencingInput;

  @IsOptional()
  @Matches(/^(?!.*(^|\/)\.\.(\/|$))\/[A-Za-z0-9._/-]{1,200}$/, {
    message: 'dataRoot must be an absolute path of [A-Za-z0-9._/-] without ".." segments',
  })
  dataRoot?: string;
}
