export * from './log-context';
export * from './logger-options';
export * from './logging.module';
