export * from './clock.service';
export * from './clock.guard';
