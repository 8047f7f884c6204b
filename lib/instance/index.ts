export * from './instance-identity';
export * from './instance.service';
export * from './departure.service';
