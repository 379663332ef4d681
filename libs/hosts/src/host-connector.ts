import { Inject, Injectable } from '@nestjs/common';
import Docker from 'dockerode';
import { CommonEnv, ENV } from '@app/config';
import type { CommandExecutor, ContainerRuntime, HostConnector } from '@app/domain/ports';
import type { HostEntity } from '@app/persistence/entities';
import { DockerRuntime, RegistryAuth } from './docker/docker-runtime';
import { LocalExecutor } from './executors/local-executor';

export class HostUnreachable extends Error {}

/** Gives the domain a container runtime and a command executor for any registered host. */
@Injectable()
export class DockerHostConnector implements HostConnector {
  private readonly local: DockerRuntime;
  private readonly localExec = new LocalExecutor();

  constructor(@Inject(ENV) env: CommonEnv) {
    const auth: RegistryAuth | undefined =
      env.IMAGE_REGISTRY && env.IMAGE_REGISTRY_USERNAME
        ? {
            serveraddress: env.IMAGE_REGISTRY.split('/')[0],
            username: env.IMAGE_REGISTRY_USERNAME,
            password: env.IMAGE_REGISTRY_PASSWORD ?? '',
          }
        : undefined;
    this.local = new DockerRuntime(new Docker({ socketPath: env.DOCKER_SOCKET }), auth);
  }

  async runtime(host: HostEntity): Promise<ContainerRuntime> {
    if (host.connection === 'local') return this.local;
    // Remote engines (Docker over SSH) arrive with the SAN issue's host access layer.
    throw new HostUnreachable(`host ${host.name}: remote (ssh) hosts are not supported by this build yet`);
  }

  async executor(host: HostEntity): Promise<CommandExecutor> {
    if (host.connection === 'local') return this.localExec;
    throw new HostUnreachable(`host ${host.name}: remote (ssh) hosts are not supported by this build yet`);
  }
}
