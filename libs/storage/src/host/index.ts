// Host helpers every driver shares (commands, paths, LVM, filesystems); no driver reaches into another's folder.
export * from './block-devices';
export * from './dirs';
export * from './lvm';
export * from './paths';
export * from './run-checked';
