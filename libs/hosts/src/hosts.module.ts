import { Global, Module } from '@nestjs/common';
import { ENGINE_CLIENT, FENCER, HOST_CONNECTOR, IMAGE_CATALOG } from '@app/domain/ports';
import { NativeEngineClient } from './engine-clients/engine-client';
import { HostFencer } from './fencing/host-fencer';
import { DockerHostConnector } from './host-connector';
import { RegistryImageCatalog } from './registry/registry-image-catalog';

const BINDINGS = [
  { provide: HOST_CONNECTOR, useClass: DockerHostConnector },
  { provide: ENGINE_CLIENT, useClass: NativeEngineClient },
  { provide: FENCER, useClass: HostFencer },
  { provide: IMAGE_CATALOG, useClass: RegistryImageCatalog },
];

@Global()
@Module({ providers: BINDINGS, exports: BINDINGS.map((b) => b.provide) })
export class HostsModule {}
