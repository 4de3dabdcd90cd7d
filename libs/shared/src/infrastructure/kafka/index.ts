export * from './topic-bootstrap';
export * from './supervised-consumer';
