export * from './strip-undefined';
export * from './sleep';
