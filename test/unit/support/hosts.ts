import type { HostEntity } from '@app/persistence/entities';

/** An active host for unit tests: directory storage, SSH, room for a few databases; `extra` overrides any field. */
export const host = (id: string, labels: Record<string, string> = {}, extra: Partial<HostEntity> = {}) =>
  ({
    id,
    name: id,
    status: 'active',
    storageDriver: 'directory',
    connection: 'ssh',
    labels,
    capacity: { cpus: 4, memoryMb: 8192, diskGb: 100 },
    replicationAddress: '10.0.1.1',
    ...extra,
  }) as HostEntity;
