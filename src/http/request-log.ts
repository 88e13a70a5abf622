// One log line per request, at RUNPLANE_REQUEST_LOG_LEVEL (debug by default): a fleet's heartbeats and long polls
// at info would bury the domain events. The line names method, path (never the query string, which may hold a
// secret such as the setup token), status, duration and the request id; errors are logged at error whatever the
// level.
import { type FastifyReply, type FastifyRequest, LogController } from 'fastify';
import type { RequestLogLevel } from '../config.ts';

export class RequestLog extends LogController {
  constructor(private readonly level: RequestLogLevel) {
    super();
  }

  /** The completion line says it all; a second line per request would double the volume. */
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const line = {
      method: request.method,
      url: request.url.split('?')[0],
      statusCode: reply.statusCode,
      responseTime: Math.round(reply.elapsedTime * 10) / 10,
    };
    if (error) reply.log.error({ ...line, err: error }, 'request errored');
    else if (this.level !== 'silent') reply.log[this.level](line, 'request completed');
  }

  /** A client that stops reading a streamed answer (an artifact download) is routine: at the request level. */
  override streamError(error: Error & { code?: string }, request: FastifyRequest, reply: FastifyReply): void {
    if (error.code !== 'ERR_STREAM_PREMATURE_CLOSE') {
      super.streamError(error, request, reply);
    } else if (this.level !== 'silent') {
      reply.log[this.level]({ statusCode: reply.statusCode }, 'stream closed prematurely');
    }
  }
}
