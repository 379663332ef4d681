import { Inject, Injectable } from '@nestjs/common';
import { HOST_CONNECTOR, HostConnector, StorageDriver, VolumeUsage } from '@app/domain/ports';
import type { HostEntity, VolumeEntity } from '@app/persistence/entities';
import { mkdirCmd } from '../host-dirs';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const SAFE_ROOT = /^\/[A-Za-z0-9._/-]+$/;

/** The path of a volume: `<dataRoot>/<volume uuid>`, checked so it can never point outside the data root. */
export function directoryPath(host: HostEntity, volume: VolumeEntity): string {
  if (!UUID.test(volume.id)) throw new Error('volume id is not a uuid');
  if (!SAFE_ROOT.test(host.dataRoot) || host.dataRoot.split('/').includes('..')) throw new Error('unsafe data root');
  return `${host.dataRoot.replace(/\/+$/, '')}/${volume.id}`;
}

/**
 * Directory volumes under the host's data root: the embedded default. No size limit is enforced (a plain
 * directory has no quota); the size used is measured and reported.
 */
@Injectable()
export class DirectoryStorageDriver implements StorageDriver {
  readonly name = 'directory';

  constructor(@Inject(HOST_CONNECTOR) private readonly connector: HostConnector) {}

  async ensure(host: HostEntity, volume: VolumeEntity): Promise<{ hostPath: string }> {
    const path = directoryPath(host, volume);
    await this.check(host, mkdirCmd(path));
    return { hostPath: path };
  }

  async remove(host: HostEntity, volume: VolumeEntity): Promise<void> {
    await this.check(host, ['rm', '-rf', '--one-file-system', '--', directoryPath(host, volume)]);
  }

  async usage(host: HostEntity, volume: VolumeEntity): Promise<VolumeUsage> {
    const out = await this.check(host, ['du', '-sb', '--', directoryPath(host, volume)]);
    return { usedBytes: Number(out.split(/\s+/)[0]) || 0 };
  }

  private async check(host: HostEntity, argv: string[]): Promise<string> {
    const exec = await this.connector.executor(host);
    const res = await exec.run(argv, { timeoutMs: 120_000 });
    if (res.exitCode !== 0) throw new Error(`${argv[0]} exited with ${res.exitCode}: ${res.stderr.split('\n')[0]}`);
    return res.stdout;
  }
}
