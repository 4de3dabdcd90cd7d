import {
  type ArgumentsHost,
  Catch,
  type ExceptionFilter,
  HttpException,
  Logger,
} from '@nestjs/common';
import type { Response } from 'express';
import { type DomainErrorKind, isDomainError } from '../../domain/domain-error';
import { RequestContextStore } from '../logging/request-context';
import { safeErrorFields } from '../logging/safe-error';

const STATUS: Record<DomainErrorKind, number> = {
  validation: 400,
  unauthenticated: 401,
  forbidden: 403,
  'not-found': 404,
  conflict: 409,
  unprocessable: 422,
  unavailable: 503,
};

export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  code: string;
  detail?: string;
  instance?: string;
  correlationId?: string;
  [extension: string]: unknown;
}

/** Every error leaves as RFC 9457 application/problem+json with a stable `code`. */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('http');

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const res = ctx.getResponse<Response>();
    const req = ctx.getRequest<{ url?: string }>();
    const problem = toProblem(exception);
    // The path only: a query string may carry a subject id, which is never echoed.
    problem.instance = req.url?.split('?')[0];
    const correlationId = RequestContextStore.correlationId();
    if (correlationId) problem.correlationId = correlationId;
    if (problem.status >= 500) this.logger.error(safeErrorFields(exception), 'unhandled error');
    res.status(problem.status).type('application/problem+json').send(JSON.stringify(problem));
  }
}

export function toProblem(exception: unknown): ProblemDetails {
  if (isDomainError(exception)) {
    const status = STATUS[exception.kind];
    return {
      type: `https://lethe.dev/problems/${exception.code.toLowerCase().replace(/_/g, '-')}`,
      title: exception.code,
      status,
      code: exception.code,
      detail: exception.message,
      ...(Object.keys(exception.details).length > 0 ? { details: exception.details } : {}),
    };
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const code = httpCode(status, exception);
    return { type: 'about:blank', title: code, status, code, detail: exception.message };
  }
  const client = clientHttpError(exception);
  if (client) {
    return {
      type: 'about:blank',
      title: client.code,
      status: client.status,
      code: client.code,
      detail: client.message,
    };
  }
  return {
    type: 'about:blank',
    title: 'INTERNAL',
    status: 500,
    code: 'INTERNAL',
    detail: 'internal error',
  };
}

function httpCode(status: number, e: HttpException): string {
  const body = e.getResponse();
  if (status === 413) return 'PAYLOAD_TOO_LARGE';
  if (status === 404) return 'NOT_FOUND';
  if (status === 400 && typeof body === 'object' && body !== null && 'message' in body) {
    return String(body.message).includes('JSON') ? 'INVALID_JSON' : 'BAD_REQUEST';
  }
  return `HTTP_${status}`;
}

/** Codes of the body parser's (http-errors) client errors, by their `type`. */
const BODY_ERROR_CODES: Record<string, string> = {
  'entity.too.large': 'PAYLOAD_TOO_LARGE',
  'entity.parse.failed': 'INVALID_JSON',
  'encoding.unsupported': 'UNSUPPORTED_ENCODING',
  'charset.unsupported': 'UNSUPPORTED_ENCODING',
  'request.aborted': 'REQUEST_ABORTED',
  'request.size.invalid': 'BAD_REQUEST',
};

/** An error thrown by Express middleware (body parser) that says it is the client's (4xx, exposed). */
function clientHttpError(
  e: unknown,
): { status: number; code: string; message: string } | undefined {
  if (typeof e !== 'object' || e === null) return undefined;
  const { status, statusCode, expose, type, message } = e as Record<string, unknown>;
  const code = typeof status === 'number' ? status : statusCode;
  if (typeof code !== 'number' || code < 400 || code > 499 || expose !== true) return undefined;
  return {
    status: code,
    code: (typeof type === 'string' && BODY_ERROR_CODES[type]) || `HTTP_${code}`,
    message: typeof message === 'string' ? message : 'bad request',
  };
}
