export * from './reconcile.service';
export * from './reconcile.listener';
