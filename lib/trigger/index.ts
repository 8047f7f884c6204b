export * from './trigger.service';
export * from './trigger.listener';
