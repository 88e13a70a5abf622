// Domain errors are values with a stable code. The core throws them; the HTTP layer maps them to status codes in
// one place (src/http/errors.ts). Clients switch on `code`, never on the message.

export type ErrorKind =
  | 'invalid'
  | 'unauthenticated'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'too_large'
  | 'rate_limited';

export class DomainError extends Error {
  constructor(
    readonly kind: ErrorKind,
    readonly code: string,
    message: string,
    readonly field?: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

export const invalid = (field: string, message: string) =>
  new DomainError('invalid', 'invalid_request', message, field);

export const notFound = (what: string, id: string) =>
  new DomainError('not_found', 'not_found', `${what} ${JSON.stringify(id)} does not exist`);

export const conflict = (code: string, message: string, details?: Record<string, unknown>) =>
  new DomainError('conflict', code, message, undefined, details);

export const unauthenticated = (message: string) => new DomainError('unauthenticated', 'unauthorized', message);

export const forbidden = (message: string) => new DomainError('forbidden', 'forbidden', message);
