export * from './secret-box';
export * from './tokens';
export * from './archive-cipher';
export * from './security.module';
export * from './x509';
