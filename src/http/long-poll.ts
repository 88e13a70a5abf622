import type { FastifyReply } from 'fastify';

/** Ends a long poll when the client goes away or the server shuts down (only built when the caller waits). */
export function longPollSignal(reply: FastifyReply, shutdown: AbortSignal): AbortSignal {
  const gone = new AbortController();
  reply.raw.once('close', () => gone.abort());
  return AbortSignal.any([gone.signal, shutdown]);
}
