import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import Docker from 'dockerode';
import { CommonEnv, ENV } from '@app/config';
import {
  HOST_REPOSITORY,
  HostRepository,
  SECRET_BOX,
  SecretSealer,
  STORAGE_BACKEND_REPOSITORY,
  StorageBackendRepository,
  type CommandExecutor,
  type ContainerRuntime,
  type EngineEndpoint,
  type HostConnector,
} from '@app/domain/ports';
import type { HostEntity, StorageBackendEntity } from '@app/persistence/entities';
import { DockerRuntime, RegistryAuth } from './docker/docker-runtime';
import { LocalExecutor } from './executors/local-executor';
import { SshExecutor } from './executors/ssh-executor';

export class HostUnreachable extends Error {}

interface Remote {
  version: string;
  executor: SshExecutor;
  runtime: DockerRuntime;
  forwards: Map<string, Promise<{ port: number; close(): Promise<void> }>>;
}

/**
 * Gives the domain a container runtime and a command executor for any registered host: the local engine
 * through its socket, remote ones over SSH (commands through node-ssh, Docker through `docker system
 * dial-stdio` over the same kind of SSH session), so the same code drives every host.
 */
@Injectable()
export class DockerHostConnector implements HostConnector, OnApplicationShutdown {
  private readonly local: DockerRuntime;
  private readonly localExec = new LocalExecutor();
  private readonly auth?: RegistryAuth;
  private readonly remotes = new Map<string, Remote>();
  private readonly storage = new Map<string, { version: string; executor: SshExecutor }>();

  constructor(
    @Inject(ENV) env: CommonEnv,
    @Inject(HOST_REPOSITORY) private readonly hosts: HostRepository,
    @Inject(STORAGE_BACKEND_REPOSITORY) private readonly backends: StorageBackendRepository,
    @Inject(SECRET_BOX) private readonly secrets: SecretSealer,
  ) {
    this.auth =
      env.IMAGE_REGISTRY && env.IMAGE_REGISTRY_USERNAME
        ? {
            serveraddress: env.IMAGE_REGISTRY.split('/')[0],
            username: env.IMAGE_REGISTRY_USERNAME,
            password: env.IMAGE_REGISTRY_PASSWORD ?? '',
          }
        : undefined;
    this.local = new DockerRuntime(new Docker({ socketPath: env.DOCKER_SOCKET }), this.auth);
  }

  async runtime(host: HostEntity): Promise<ContainerRuntime> {
    return host.connection === 'local' ? this.local : (await this.remote(host)).runtime;
  }

  async executor(host: HostEntity): Promise<CommandExecutor> {
    return host.connection === 'local' ? this.localExec : (await this.remote(host)).executor;
  }

  async endpoint(host: HostEntity, port: number): Promise<EngineEndpoint> {
    // A remote host reached through another SSH address: its tenant network may not be routable from here.
    if (host.connection === 'local' || !host.sshAddress || host.sshAddress === host.address)
      return { host: host.address, port };
    const remote = await this.remote(host);
    const key = `${host.address}:${port}`;
    let fwd = remote.forwards.get(key);
    if (!fwd) {
      fwd = remote.executor.forward(host.address, port);
      remote.forwards.set(key, fwd);
    }
    return { host: '127.0.0.1', port: (await fwd).port };
  }

  async storageExecutor(backend: StorageBackendEntity): Promise<CommandExecutor> {
    const version = `${backend.sshAddress}|${backend.sshPort}|${backend.sshUser}`;
    const cached = this.storage.get(backend.id);
    if (cached && cached.version === version) return cached.executor;
    await cached?.executor.close();
    const sealed = await this.backends.getSealedKey(backend.id);
    if (!sealed) throw new HostUnreachable(`storage backend ${backend.name} has no SSH key registered`);
    const executor = new SshExecutor({
      host: backend.sshAddress,
      port: backend.sshPort,
      username: backend.sshUser,
      privateKey: this.secrets.open(sealed),
      label: backend.name,
    });
    this.storage.set(backend.id, { version, executor });
    return executor;
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([...this.remotes.values()].map((r) => this.closeRemote(r)));
    await Promise.all([...this.storage.values()].map((r) => r.executor.close()));
  }

  private async closeRemote(r: Remote): Promise<void> {
    for (const f of r.forwards.values()) await (await f.catch(() => null))?.close();
    await r.executor.close();
  }

  private async remote(host: HostEntity): Promise<Remote> {
    // Only what the connection depends on: other edits of the host (its status, its initiator name) must not
    // tear down the session and the port forwards that running jobs use.
    const version = `${host.sshAddress ?? host.address}|${host.sshPort}|${host.sshUser}`;
    const cached = this.remotes.get(host.id);
    if (cached && cached.version === version) return cached;
    if (cached) await this.closeRemote(cached);
    const sealed = await this.hosts.getSealedKey(host.id);
    if (!sealed) throw new HostUnreachable(`host ${host.name} has no SSH key registered`);
    const privateKey = this.secrets.open(sealed);
    const sshHost = host.sshAddress ?? host.address;
    const executor = new SshExecutor({
      host: sshHost,
      port: host.sshPort,
      username: host.sshUser,
      privateKey,
      label: host.name,
    });
    const docker = new Docker({
      protocol: 'ssh',
      host: sshHost,
      port: host.sshPort,
      username: host.sshUser,
      sshOptions: { privateKey, readyTimeout: 10_000 },
    } as Docker.DockerOptions);
    const remote: Remote = { version, executor, runtime: new DockerRuntime(docker, this.auth), forwards: new Map() };
    this.remotes.set(host.id, remote);
    return remote;
  }
}
