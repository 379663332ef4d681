export * from './job.contract';
export * from './jobs.module';
export * from './process-policy';
