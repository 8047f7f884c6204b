export * from './execution-hook';
export * from './item-pipeline';
export * from './job-event-bus';
