export * from './strategy';
export * from './sharding.service';
