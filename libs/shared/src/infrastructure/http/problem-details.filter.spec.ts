import { BadRequestException, NotFoundException } from '@nestjs/common';
import { CodedError } from '../../domain/domain-error';
import { toProblem } from './problem-details.filter';

describe('toProblem', () => {
  it.each([
    ['validation', 400],
    ['unauthenticated', 401],
    ['forbidden', 403],
    ['not-found', 404],
    ['conflict', 409],
    ['unprocessable', 422],
    ['unavailable', 503],
  ] as const)('maps a domain error of kind %s to %i with its stable code', (kind, status) => {
    const p = toProblem(new CodedError('SOME_CODE', kind, 'why', { field: 'x' }));
    expect(p).toMatchObject({
      status,
      code: 'SOME_CODE',
      title: 'SOME_CODE',
      detail: 'why',
      details: { field: 'x' },
    });
    expect(p.type).toBe('https://lethe.dev/problems/some-code');
  });

  it('maps the body parser errors to coded 4xx problems', () => {
    const tooLarge = Object.assign(new Error('request entity too large'), {
      status: 413,
      statusCode: 413,
      expose: true,
      type: 'entity.too.large',
    });
    expect(toProblem(tooLarge)).toMatchObject({ status: 413, code: 'PAYLOAD_TOO_LARGE' });
    const badJson = Object.assign(new Error('Unexpected token'), {
      status: 400,
      expose: true,
      type: 'entity.parse.failed',
    });
    expect(toProblem(badJson)).toMatchObject({ status: 400, code: 'INVALID_JSON' });
  });

  it('maps Nest HTTP exceptions', () => {
    expect(toProblem(new NotFoundException())).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    expect(toProblem(new BadRequestException('Unexpected token in JSON'))).toMatchObject({
      status: 400,
      code: 'INVALID_JSON',
    });
  });

  it('hides everything about an unexpected error', () => {
    const p = toProblem(
      Object.assign(new Error('column "subject_id" = user-42'), { status: 500, expose: false }),
    );
    expect(p).toEqual({
      type: 'about:blank',
      title: 'INTERNAL',
      status: 500,
      code: 'INTERNAL',
      detail: 'internal error',
    });
  });
});
