export * from './leader.service';
