export * from './strip-undefined';
export * from './sleep';
export * from './map-concurrently';
