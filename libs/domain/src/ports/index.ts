export * from './repositories';
export * from './infrastructure';
