export * from './drbd';
export * from './drbd-host';
export * from './fence';
