export * from './topic-bootstrap';
