export * from './engine-catalog';
