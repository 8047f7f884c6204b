export * from './failover.service';
export * from './failover.listener';
