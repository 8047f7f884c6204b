export * from './cli.program';
