export * from './repositories';
export * from './infrastructure';
export * from './tree-sync';
export * from './cryptography';
export * from './round-trips';
export * from './host-helper';
