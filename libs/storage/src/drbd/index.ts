export * from './drbd';
export * from './drbd-host';
export * from './drbd-state';
export * from './fence';
