export * from './command';
export * from './patterns';
export * from './validators';
