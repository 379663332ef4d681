export * from './archive';
export { checkPath } from './paths';
export * from './progress';
export * from './scan';
export * from './sync';
