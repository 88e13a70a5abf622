// Session events: batches in, pages out, and a live Server-Sent Events stream that resumes from Last-Event-ID.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Core } from '../../core/context.ts';
import { DomainError } from '../../core/errors.ts';
import { appendSessionEvents, getSession, readSessionEvents } from '../../core/sessions.ts';
import { isTerminal } from '../../core/states.ts';
import { principalOf } from '../auth.ts';
import { WriterHeaders, writerOf } from '../writer.ts';
import { EventSchema, errorResponses, IdParams, NewEventSchema, presentEvent } from './schemas.ts';

const STREAM_BATCH = 500;
/** Open event streams per principal on this instance: each holds a socket and reads the store when its item moves. */
const MAX_STREAMS_PER_PRINCIPAL = 20;
/** A stream whose client has not read for this long is closed. */
const STALLED_CLIENT_MS = 30_000;
/** A comment line now and then keeps proxies from closing a quiet stream. */
const KEEPALIVE_MS = 15_000;

export const eventRoutes: FastifyPluginAsyncTypebox<{ core: Core }> = async (app, { core }) => {
  const tags = ['events'];

  app.post(
    '/v1/runners/sessions/:id/events',
    {
      config: { scope: 'runners:write', audit: false },
      schema: {
        tags,
        summary: 'Append a batch of 1–500 events; the server assigns seq and received_at',
        params: IdParams,
        headers: WriterHeaders,
        body: Type.Array(NewEventSchema, { minItems: 1, maxItems: 500 }),
        response: {
          200: Type.Object({
            items: Type.Array(EventSchema),
            cancel_requested: Type.Boolean({ description: 'Extension: the session was asked to stop' }),
            pause_requested: Type.Boolean({
              description: 'Extension: the session reached a budget; checkpoint with pause',
            }),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const {
        events: stored,
        cancelRequested,
        pauseRequested,
      } = await appendSessionEvents(
        core,
        principalOf(request).orgId,
        request.params.id,
        request.body.map((event) => ({ ...event, ts: event.ts ?? undefined })),
        writerOf(request),
      );
      return { items: stored.map(presentEvent), cancel_requested: cancelRequested, pause_requested: pauseRequested };
    },
  );

  app.get(
    '/v1/runners/sessions/:id/events',
    {
      config: { scope: 'runners:read' },
      schema: {
        tags,
        params: IdParams,
        querystring: Type.Object({
          after: Type.Integer({ minimum: 0, default: 0 }),
          limit: Type.Integer({ minimum: 1, maximum: 1000, default: 200 }),
          type: Type.Optional(Type.String({ maxLength: 64 })),
        }),
        response: {
          200: Type.Object({ items: Type.Array(EventSchema), next_after: Type.Integer() }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { after, limit, type } = request.query;
      const events = await readSessionEvents(core.db, principalOf(request).orgId, request.params.id, {
        after,
        limit,
        type: type ?? null,
      });
      return { items: events.map(presentEvent), next_after: events.at(-1)?.seq ?? after };
    },
  );

  const openStreams = new Map<string, number>();
  const streamRoute = (url: string, hide: boolean) =>
    app.get(
      url,
      {
        config: { scope: 'runners:read' },
        schema: {
          tags,
          summary:
            'Live events as Server-Sent Events: each an unnamed (`message`) event, id: seq, data: the event with its ' +
            '`type`; resume with Last-Event-ID; ends after the terminal state',
          params: IdParams,
          headers: Type.Object({ 'last-event-id': Type.Optional(Type.Integer({ minimum: 0 })) }),
          querystring: Type.Object({ after: Type.Optional(Type.Integer({ minimum: 0 })) }),
          'x-runplane-extension': true,
          hide,
        },
      },
      async (request, reply) => {
        const principal = principalOf(request);
        const orgId = principal.orgId;
        const id = request.params.id;
        await getSession(core, orgId, id);
        const holder = `${orgId}:${principal.actor}`;
        const held = openStreams.get(holder) ?? 0;
        if (held >= MAX_STREAMS_PER_PRINCIPAL) {
          throw new DomainError(
            'rate_limited',
            'too_many_streams',
            `${held} event streams are already open for this credential; close one (at most ${MAX_STREAMS_PER_PRINCIPAL})`,
          );
        }
        let after = request.headers['last-event-id'] ?? request.query.after ?? 0;
        const stream = reply.raw;
        // Ends the wait for new events when the client goes or the server shuts down.
        const closed = new AbortController();
        const onShutdown = () => closed.abort();
        app.shutdownSignal.addEventListener('abort', onShutdown, { once: true });
        stream.on('close', () => closed.abort());
        reply.hijack();
        stream.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-cache',
          connection: 'keep-alive',
          'x-request-id': request.id,
        });
        // The client learns at once that the stream is open, not with the first event or keep-alive.
        stream.flushHeaders();
        // A client that stops reading makes write() return false: wait for it to drain (reading nothing more from the
        // store meanwhile), and drop it when it stays blocked.
        const send = async (text: string) => {
          if (stream.write(text)) return;
          const drained = await Promise.race([
            new Promise<boolean>((resolve) => stream.once('drain', () => resolve(true))),
            new Promise<boolean>((resolve) => setTimeout(() => resolve(false), STALLED_CLIENT_MS).unref()),
          ]);
          if (!drained) stream.destroy();
        };
        openStreams.set(holder, (openStreams.get(holder) ?? 0) + 1);
        try {
          let unread = true;
          while (!closed.signal.aborted) {
            if (unread) {
              const events = await readSessionEvents(core.db, orgId, id, { after, limit: STREAM_BATCH });
              for (const event of events) {
                if (closed.signal.aborted) break;
                // Unnamed (`message`) events: a browser's EventSource cannot subscribe to names it does not know,
                // and runners invent types (tool_call…); the type travels in the data.
                await send(`id: ${event.seq}\ndata: ${JSON.stringify(presentEvent(event))}\n\n`);
                after = event.seq;
              }
              if (events.length === STREAM_BATCH) continue;
            }
            // One watcher per item, shared by every stream open on it, says when there is more to read.
            const head = await core.itemWatch.wait(orgId, id, after, KEEPALIVE_MS, closed.signal);
            if (closed.signal.aborted) break;
            if (!head) {
              await send(': keepalive\n\n');
              unread = false;
              continue;
            }
            // The terminal state change is the last event written for a finished session: once it has been sent, end.
            if (isTerminal(head.state) && after >= head.lastEventSeq) break;
            unread = true;
          }
        } catch (error) {
          request.log.warn({ err: error }, 'event stream ended by an error');
        } finally {
          app.shutdownSignal.removeEventListener('abort', onShutdown);
          stream.end();
          const left = (openStreams.get(holder) ?? 1) - 1;
          if (left > 0) openStreams.set(holder, left);
          else openStreams.delete(holder);
        }
      },
    );

  streamRoute('/v1/runners/sessions/:id/events/stream', false);
  // The console's EventSource reaches the same stream through the BFF path, with its session cookie.
  streamRoute('/console/api/v1/runners/sessions/:id/events/stream', true);
};
