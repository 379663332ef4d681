export * from './vip';
