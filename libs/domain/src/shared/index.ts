export * from './command';
export * from './patterns';
