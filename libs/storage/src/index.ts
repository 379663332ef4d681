export * from './directory/directory.driver';
export * from './host';
export * from './storage.module';
export * from './san-lvm/iscsi';
export * from './san-lvm/host-block';
export * from './san-lvm/san-backend.client';
export * from './san-lvm/san-lvm.driver';
export * from './sync';
