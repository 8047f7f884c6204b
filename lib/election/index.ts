export * from './leader.service';
export * from './election.listener';
