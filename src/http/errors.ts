// One place maps every failure to HTTP: domain errors by kind, Fastify's own errors (validation, JSON, size, media
// type, rate limit) to stable codes, and anything else to a logged 500. The body is always
// {"error": {"code", "message", "field"?, "details"?}}.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { DomainError, type ErrorKind } from '../core/errors.ts';
import { isUnavailable } from '../store/db.ts';

/** Seconds a client is asked to wait when the store is unreachable. */
const STORE_RETRY_AFTER_SECONDS = 2;

export const ErrorBody = Type.Object(
  {
    error: Type.Object({
      code: Type.String(),
      message: Type.String(),
      field: Type.Optional(Type.String()),
      details: Type.Optional(Type.Object({}, { additionalProperties: true })),
    }),
  },
  { $id: 'Error' },
);

const STATUS_BY_KIND: Record<ErrorKind, number> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  rate_limited: 429,
};

interface ErrorPayload {
  code: string;
  message: string;
  field?: string;
  details?: Record<string, unknown>;
}

const FASTIFY_CODES: Record<string, { status: number; code: string; message?: string }> = {
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'invalid_json', message: 'the body is not valid JSON' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'invalid_request', message: 'the JSON body is empty' },
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'payload_too_large' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    status: 415,
    code: 'unsupported_media_type',
    message: 'send the body as application/json',
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'invalid_request' },
};

/** Names the offending field the way a client wrote it: `logs[3]`, `files[0].path`, header `x-runner-id`. */
function validationPayload(error: FastifyError): ErrorPayload {
  const first = error.validation?.[0];
  const where = error.validationContext ?? 'body';
  const segments = (first?.instancePath ?? '').split('/').filter(Boolean);
  const missing = (first?.params as { missingProperty?: string } | undefined)?.missingProperty;
  if (missing) segments.push(missing);
  // A field the schema does not know: name it, not the object holding it.
  const unknown = (first?.params as { additionalProperty?: string } | undefined)?.additionalProperty;
  if (unknown) segments.push(unknown);
  const field = segments.reduce(
    (path, part) => (/^\d+$/.test(part) ? `${path}[${part}]` : path ? `${path}.${part}` : part),
    '',
  );
  const subject = field ? `${field}` : where;
  const detail = first?.message ?? 'is invalid';
  const allowed = (first?.params as { allowedValues?: unknown[] } | undefined)?.allowedValues;
  const message = missing
    ? `${subject} is required (${where})`
    : unknown
      ? `${subject} is not a field of this request; remove it (${where})`
      : `${subject} ${detail}${allowed ? `: ${allowed.join(', ')}` : ''} (${where})`;
  return { code: 'invalid_request', message, field: field || where };
}

/** PostgreSQL data exceptions (SQLSTATE class 22), as raised by both drivers. */
const isDataError = (error: { code?: unknown }) => typeof error.code === 'string' && /^22[0-9A-Z]{3}$/.test(error.code);

export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    let status: number;
    let payload: ErrorPayload;
    if (error instanceof DomainError) {
      status = STATUS_BY_KIND[error.kind];
      payload = { code: error.code, message: error.message };
      if (error.field) payload.field = error.field;
      if (error.details) payload.details = error.details;
    } else if (isUnavailable(error)) {
      request.log.warn({ err: error }, 'store unavailable');
      status = 503;
      reply.header('retry-after', String(STORE_RETRY_AFTER_SECONDS));
      payload = {
        code: 'store_unavailable',
        message: `the database is unreachable; retry in ${STORE_RETRY_AFTER_SECONDS} s (the server reconnects by itself)`,
      };
    } else if (isDataError(error)) {
      // A value the schema let through but the database cannot hold (NUL in text, out-of-range number or date):
      // the request is wrong, not the server.
      status = 400;
      payload = { code: 'invalid_request', message: `a value in the request cannot be stored: ${error.message}` };
    } else if (error.validation) {
      status = 400;
      payload = validationPayload(error);
    } else if (error.code && FASTIFY_CODES[error.code]) {
      const known = FASTIFY_CODES[error.code]!;
      status = known.status;
      payload = { code: known.code, message: known.message ?? error.message };
    } else if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
      status = error.statusCode;
      const code = typeof error.code === 'string' && /^[a-z_]+$/.test(error.code) ? error.code : 'bad_request';
      payload = { code, message: error.message };
    } else {
      request.log.error({ err: error }, 'request failed');
      status = 500;
      payload = { code: 'internal_error', message: `internal error; quote request id ${request.id} when reporting it` };
    }
    if (status === 401) reply.header('www-authenticate', 'Bearer');
    return reply.status(status).send({ error: payload });
  });

  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({
      error: { code: 'route_not_found', message: `no route ${request.method} ${request.url.split('?')[0]}` },
    }),
  );
}

/** Errors Fastify raises before routing (bad percent-encoding, a path segment over maxParamLength), in our shape. */
export function frameworkErrors(error: FastifyError, _request: FastifyRequest, reply: FastifyReply) {
  const status = error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 414 : 400;
  const code = status === 414 ? 'uri_too_long' : 'invalid_request';
  reply.status(status).send({ error: { code, message: `${error.message}; check the URL` } });
}

/**
 * Errors Node's HTTP parser raises before Fastify sees a request (headers over the limit, a malformed request, a
 * request that took too long): answered in our shape, with `Connection: close` since the socket is closed after.
 */
export function clientErrorHandler(error: NodeJS.ErrnoException, socket: import('node:net').Socket) {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, code, message] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'headers_too_large', 'the request headers are larger than 16 KiB; send fewer or shorter headers']
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'request_timeout', 'the request did not arrive in time; send it again']
        : [400, 'invalid_request', 'the request is not valid HTTP'];
  const body = JSON.stringify({ error: { code, message } });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${code}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `Connection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}
