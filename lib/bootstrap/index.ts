export * from './job-bootstrap';
