export * from './directory/directory.driver';
export * from './storage.module';
