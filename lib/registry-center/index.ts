export * from './registry-center.error';
export * from './registry-center.interface';
export * from './zookeeper.registry-center';
