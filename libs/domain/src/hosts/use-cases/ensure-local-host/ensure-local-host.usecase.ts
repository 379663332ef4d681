import { statfsSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { Inject, Injectable } from '@nestjs/common';
import type { HostEntity } from '@app/persistence/entities';
import { CommonEnv, ENV } from '@app/config';
import { HOST_REPOSITORY, HostRepository } from '../../../ports';

@Injectable()
export class EnsureLocalHostUseCase {
  constructor(
    @Inject(HOST_REPOSITORY) private readonly hosts: HostRepository,
    @Inject(ENV) private readonly env: CommonEnv,
  ) {}

  /** The embedded default: this machine's Docker engine, with directory volumes under DATA_ROOT. Idempotent. */
  async execute(address: string): Promise<HostEntity> {
    const existing = await this.hosts.findByName('local');
    if (existing) return existing;
    let diskGb = 100;
    try {
      const fs = statfsSync('/');
      diskGb = Math.floor((fs.blocks * fs.bsize) / 2 ** 30);
    } catch {
      // keep the default
    }
    return this.hosts.create({
      name: 'local',
      address,
      sshAddress: null,
      connection: 'local',
      sshPort: 22,
      sshUser: 'root',
      sshPrivateKey: null,
      hostKeyFingerprint: null,
      hostKeyPinnedBy: null,
      labels: { hypervisor: 'local' },
      capacity: { cpus: cpus().length, memoryMb: Math.floor(totalmem() / 2 ** 20), diskGb },
      storageDriver: 'directory',
      storageBackendId: null,
      iscsiInitiator: null,
      dataRoot: this.env.DATA_ROOT,
      status: 'active',
      replicationAddress: null,
      vipInterface: null,
      fencing: null,
      health: null,
      statusReason: null,
    });
  }
}
