import { Writable } from 'node:stream';
import { createLogger } from './logger';
import { NestPinoLogger } from './nest-logger';
import { safeErrorFields } from './safe-error';
import { RequestContextStore } from './request-context';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
      cb();
    },
  });
  return { lines, destination };
}

describe('createLogger', () => {
  it('writes JSON with the correlation id of the current context', () => {
    const { lines, destination } = capture();
    const logger = createLogger({ app: 'test', destination });
    RequestContextStore.run({ correlationId: 'corr-1' }, () =>
      logger.info({ requestId: 'r1' }, 'hello'),
    );
    logger.info('outside');
    expect(lines[0]).toMatchObject({
      app: 'test',
      level: 'info',
      msg: 'hello',
      requestId: 'r1',
      correlationId: 'corr-1',
    });
    expect(lines[1]).not.toHaveProperty('correlationId');
  });

  it('redacts subject ids, tokens and keys at any of the listed depths', () => {
    const { lines, destination } = capture();
    const logger = createLogger({ app: 'test', destination });
    logger.info({
      subjectId: 'user-42',
      data: { subjectId: 'user-43', features: [1, 2] },
      req: { headers: { authorization: 'Bearer x' } },
      hmacKey: 'k',
    });
    const text = JSON.stringify(lines[0]);
    expect(text).not.toContain('user-42');
    expect(text).not.toContain('user-43');
    expect(text).not.toContain('Bearer x');
    expect(lines[0]).toMatchObject({ subjectId: '[REDACTED]', hmacKey: '[REDACTED]' });
  });
});

describe('redaction depth', () => {
  it('redacts listed keys down to the documented depth', () => {
    const { lines, destination } = capture();
    createLogger({ app: 'test', destination }).info({
      a: { b: { c: { d: { subjectId: 'user-77' } } } },
      err: { detail: 'Key (subject_id)=(user-78) already exists' },
    });
    const text = JSON.stringify(lines[0]);
    expect(text).not.toContain('user-77');
    expect(text).not.toContain('user-78');
  });
});

describe('NestPinoLogger and safeErrorFields', () => {
  it('never logs the SQL parameters of a driver error', () => {
    const { lines, destination } = capture();
    const nest = new NestPinoLogger(createLogger({ app: 'test', destination }));
    const driverError = Object.assign(new Error('insert failed'), {
      code: '42703',
      query: 'INSERT INTO records (subject_id) VALUES ($1)',
      parameters: ['user-42'],
      driverError: { detail: 'Key (subject_id)=(user-42)' },
    });
    nest.error(driverError, 'http');
    nest.error(safeErrorFields(driverError), 'unhandled error', 'http');
    const text = lines.map((l) => JSON.stringify(l)).join('\n');
    expect(text).not.toContain('user-42');
    expect(lines[0]).toMatchObject({
      context: 'http',
      msg: 'insert failed',
      error: { type: 'Error', code: '42703' },
    });
    expect(lines[1]).toMatchObject({
      context: 'http',
      msg: 'unhandled error',
      error: { message: 'insert failed' },
    });
  });
});
