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
  ValidateIf,
  ValidateNested,
  type ValidationArguments,
} from 'class-validator';
import {
  Command,
  IsAddress,
  IsHostKeyFingerprint,
  IsPort,
  IsPrivateKey,
  IsSshUser,
  IsResourceName,
  LABEL_PATTERN,
} from '../../shared';
import { fencingProblem, type FencingInput } from '../fencing';

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

/**
 * How the host is fenced: a fence agent named from the control plane's allow-list with its parameters, or `ssh`
 * (`poweroff -f`, which never confirms a fence alone). An argv is refused: the caller never chooses a program.
 */
const IsFencing = () =>
  ValidateBy({
    name: 'isFencing',
    validator: {
      validate: (v: unknown) => fencingProblem(v) === null,
      defaultMessage: (args?: ValidationArguments) => fencingProblem(args?.value) ?? 'fencing is not valid',
    },
  });

/** Replaces a host's fencing (null: none, an operator then confirms every fence). */
export class SetFencingCommand extends Command {
  @ValidateIf((o: SetFencingCommand) => o.fencing !== null)
  @IsFencing()
  fencing!: FencingInput | null;
}

/** Confirms or replaces a host's (or storage backend's) pinned SSH host key. */
export class SetHostKeyCommand extends Command {
  @IsHostKeyFingerprint()
  hostKeyFingerprint!: string;
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
