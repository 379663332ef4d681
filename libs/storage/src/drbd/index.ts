export * from './drbd';
export * from './drbd-host';
