// Who is writing to a task or session, from the request: the identity headers both facades accept and the kind of
// credential. One definition, so the two APIs fence the same way.
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { WriterIdentity } from '../core/types.ts';
import { principalOf } from './auth.ts';

export const RunnerId = Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]*$' });
export const RunnerInstance = Type.String({
  minLength: 1,
  maxLength: 64,
  pattern: '^[A-Za-z0-9-]+$',
  description: 'Extension: the instanceId answered by register; a replaced instance gets 409 runner_replaced',
});

export const WriterHeaders = Type.Object({
  'x-runner-id': Type.Optional(RunnerId),
  'x-runplane-attempt': Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: 2_147_483_647,
      description: 'The attempt the runner was given; fences the write',
    }),
  ),
  'x-runner-instance': Type.Optional(RunnerInstance),
});

export const InstanceHeaders = Type.Object({ 'x-runner-instance': Type.Optional(RunnerInstance) });

/** The `x-runner-instance` header, when sent. */
export const instanceOf = (request: FastifyRequest): string | null =>
  (request.headers as { 'x-runner-instance'?: string })['x-runner-instance'] ?? null;

/**
 * The writer of a task write: the identity headers (or, for a result, `runnerId`/`attempt` from its body), whether
 * a runner key made it (which must name its attempt) and the audit actor (for operator writes).
 */
export function writerOf(
  request: FastifyRequest,
  fromBody: { runnerId?: string | null; attempt?: number | null } = {},
): WriterIdentity {
  const headers = request.headers as { 'x-runplane-attempt'?: number; 'x-runner-id'?: string };
  const principal = principalOf(request);
  return {
    runnerId: fromBody.runnerId ?? headers['x-runner-id'] ?? null,
    attempt: fromBody.attempt ?? headers['x-runplane-attempt'] ?? null,
    instance: instanceOf(request),
    runnerKey: principal.runnerKey === true,
    actor: principal.actor,
  };
}
