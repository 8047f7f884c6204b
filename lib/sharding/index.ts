export * from './strategy';
export * from './sharding.service';
export * from './reshard.service';
export * from './sharding.listener';
