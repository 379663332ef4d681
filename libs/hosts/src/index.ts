export * from './docker/docker-logs';
export * from './docker/docker-runtime';
export * from './executors/local-executor';
export * from './host-connector';
export * from './hosts.module';
export * from './engine-clients/engine-client';
export * from './executors/ssh-executor';
