export * from './instance-identity';
export * from './instance.service';
export * from './departure.service';
export * from './shutdown.listener';
