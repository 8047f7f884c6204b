export * from './strip-undefined';
