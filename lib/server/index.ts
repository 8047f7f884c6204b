export * from './server.service';
export * from './stale-server.service';
export * from './server.listener';
