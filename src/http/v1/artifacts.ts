// Session artifacts. Uploads are raw bodies of any content type, streamed into blob storage: this plugin takes
// every body as a stream (encapsulated, so other routes keep their JSON-only parsing).

import { Readable } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import contentDisposition from 'content-disposition';
import { Type } from 'typebox';
import { listSessionArtifacts, openArtifact, uploadArtifact } from '../../core/artifacts.ts';
import type { Core } from '../../core/context.ts';
import { principalOf } from '../auth.ts';
import { WriterHeaders, writerOf } from '../writer.ts';
import { ArtifactSchema, errorResponses, Id, IdParams, presentArtifact } from './schemas.ts';

/** An upload that sends nothing for this long is aborted (its staged bytes are deleted). */
const UPLOAD_IDLE_MS = 30_000;

export const artifactRoutes: FastifyPluginAsyncTypebox<{ core: Core }> = async (app, { core }) => {
  const tags = ['artifacts'];
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload));

  app.post(
    '/v1/runners/sessions/:id/artifacts',
    {
      config: { scope: 'runners:write' },
      schema: {
        tags,
        summary: 'Upload an artifact: the raw body with its Content-Type, streamed (≤ RUNPLANE_ARTIFACT_MAX_BYTES)',
        params: IdParams,
        headers: WriterHeaders,
        querystring: Type.Object({ name: Type.String({ minLength: 1, maxLength: 512 }) }),
        response: {
          201: Type.Intersect([
            ArtifactSchema,
            Type.Object({
              cancel_requested: Type.Boolean({ description: 'Extension: the session was asked to stop' }),
            }),
          ]),
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      // A client that stops sending mid-upload is cut off instead of holding the request open.
      request.raw.setTimeout(UPLOAD_IDLE_MS, () => request.raw.destroy(new Error('upload idle for too long')));
      const body = request.body as Readable | undefined;
      const contentType = request.headers['content-type'] ?? 'application/octet-stream';
      const { artifact, cancelRequested } = await uploadArtifact(
        core,
        principalOf(request).orgId,
        request.params.id,
        { name: request.query.name, contentType, body: body ?? Readable.from([]) },
        writerOf(request),
      ).catch((error: unknown) => {
        // Refused before the body was read to its end (too large, stale attempt): discard the rest so a client that
        // finishes sending before it reads (as fetch does) gets the answer, then close the connection.
        if (!request.raw.complete) {
          reply.header('connection', 'close');
          request.raw.resume();
        }
        throw error;
      });
      return reply.status(201).send({ ...presentArtifact(artifact), cancel_requested: cancelRequested });
    },
  );

  app.get(
    '/v1/runners/sessions/:id/artifacts',
    {
      config: { scope: 'runners:read' },
      schema: {
        tags,
        params: IdParams,
        response: { 200: Type.Object({ items: Type.Array(ArtifactSchema) }), ...errorResponses },
      },
    },
    async (request) => ({
      items: (await listSessionArtifacts(core, principalOf(request).orgId, request.params.id)).map(presentArtifact),
    }),
  );

  const downloadRoute = (url: string, hide: boolean) =>
    app.get(
      url,
      {
        config: { scope: 'runners:read' },
        schema: {
          tags,
          summary: 'Download an artifact with its stored content type',
          params: Type.Object({ id: Id, artifact_id: Id }),
          hide,
        },
      },
      async (request, reply) => {
        const { artifact, content } = await openArtifact(
          core,
          principalOf(request).orgId,
          request.params.id,
          request.params.artifact_id,
        );
        return (
          reply
            .header('content-type', artifact.contentType)
            .header('content-length', String(artifact.size))
            .header('etag', `"${artifact.sha256}"`)
            // RFC 6266/5987: an ASCII fallback and the exact name as filename*, whatever characters it holds.
            .header('content-disposition', contentDisposition(artifact.name))
            .send(content)
        );
      },
    );
  downloadRoute('/v1/runners/sessions/:id/artifacts/:artifact_id/content', false);
  // The console's download links use this path: streamed like the API's, not buffered through the BFF.
  downloadRoute('/console/api/v1/runners/sessions/:id/artifacts/:artifact_id/content', true);
};
