export * from './failover.service';
