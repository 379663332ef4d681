export * from './repositories';
export * from './infrastructure';
export * from './tree-sync';
export * from './cryptography';
