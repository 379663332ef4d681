import { Global, Module } from '@nestjs/common';
import { ENGINE_CLIENT, FENCER, HOST_CONNECTOR } from '@app/domain/ports';
import { NativeEngineClient } from './engine-clients/engine-client';
import { HostFencer } from './fencing/host-fencer';
import { DockerHostConnector } from './host-connector';

const BINDINGS = [
  { provide: HOST_CONNECTOR, useClass: DockerHostConnector },
  { provide: ENGINE_CLIENT, useClass: NativeEngineClient },
  { provide: FENCER, useClass: HostFencer },
];

@Global()
@Module({ providers: BINDINGS, exports: BINDINGS.map((b) => b.provide) })
export class HostsModule {}
