export * from './event-trace.query';
export * from './tracing.service';
