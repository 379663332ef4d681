export * from './command';
export * from './patterns';
export * from './validators';
export * from './timeout';
export * from './host-key';
export * from './cidr';
export * from './settle';
