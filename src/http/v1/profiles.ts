// /v1/runners/profiles and their harness revisions.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Core } from '../../core/context.ts';
import { notFound } from '../../core/errors.ts';
import {
  createProfile,
  findProfile,
  latestHarness,
  listOrgProfiles,
  listProfileHarnesses,
  publishHarness,
  removeProfile,
  updateProfile,
} from '../../core/profiles.ts';
import { principalOf } from '../auth.ts';
import {
  decodeCursor,
  errorResponses,
  HarnessBody,
  HarnessSchema,
  IdParams,
  ListOf,
  NewProfileBody,
  Page,
  ProfileBody,
  ProfileSchema,
  page,
  presentHarness,
  presentProfile,
} from './schemas.ts';

const fields = (body: { name: string; description?: string; execution_target?: string }) => ({
  name: body.name,
  description: body.description ?? '',
  executionTarget: body.execution_target ?? 'runner',
});

export const profileRoutes: FastifyPluginAsyncTypebox<{ core: Core }> = async (app, { core }) => {
  const tags = ['profiles'];

  app.get(
    '/v1/runners/profiles',
    {
      config: { scope: 'runners:read' },
      schema: { tags, querystring: Type.Object(Page), response: { 200: ListOf(ProfileSchema), ...errorResponses } },
    },
    async (request) => {
      const { limit, cursor } = request.query;
      const rows = await listOrgProfiles(core, principalOf(request).orgId, { after: decodeCursor(cursor), limit });
      return page(rows, limit, presentProfile);
    },
  );

  app.post(
    '/v1/runners/profiles',
    {
      config: { scope: 'runners:write' },
      schema: { tags, body: NewProfileBody, response: { 201: ProfileSchema, ...errorResponses } },
    },
    async (request, reply) => {
      const { id } = request.body;
      const profile = await createProfile(core, principalOf(request).orgId, fields(request.body), id);
      return reply.status(201).send(presentProfile(profile));
    },
  );

  app.get(
    '/v1/runners/profiles/:id',
    {
      config: { scope: 'runners:read' },
      schema: { tags, params: IdParams, response: { 200: ProfileSchema, ...errorResponses } },
    },
    async (request) => presentProfile(await findProfile(core.db, principalOf(request).orgId, request.params.id)),
  );

  app.put(
    '/v1/runners/profiles/:id',
    {
      config: { scope: 'runners:write' },
      schema: {
        tags,
        summary: 'Replace a profile',
        params: IdParams,
        body: ProfileBody,
        response: { 200: ProfileSchema, ...errorResponses },
      },
    },
    async (request) =>
      presentProfile(await updateProfile(core, principalOf(request).orgId, request.params.id, fields(request.body))),
  );

  app.delete(
    '/v1/runners/profiles/:id',
    {
      config: { scope: 'runners:write' },
      schema: {
        tags,
        summary: 'Delete a profile; archive it instead when sessions reference it',
        params: IdParams,
        response: {
          200: Type.Object({ outcome: Type.Enum(['deleted', 'archived']), profile: ProfileSchema }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { profile, outcome } = await removeProfile(core, principalOf(request).orgId, request.params.id);
      return { outcome, profile: presentProfile(profile) };
    },
  );

  app.get(
    '/v1/runners/profiles/:id/harnesses',
    {
      config: { scope: 'runners:read' },
      schema: {
        tags,
        summary: 'Harness revisions, newest first',
        params: IdParams,
        querystring: Type.Object(Page),
        response: { 200: ListOf(HarnessSchema), ...errorResponses },
      },
    },
    async (request) => {
      const { limit, cursor } = request.query;
      const rows = await listProfileHarnesses(core, principalOf(request).orgId, request.params.id, {
        after: decodeCursor(cursor),
        limit,
      });
      return page(rows, limit, presentHarness);
    },
  );

  app.get(
    '/v1/runners/profiles/:id/harnesses/latest',
    {
      config: { scope: 'runners:read' },
      schema: { tags, params: IdParams, response: { 200: HarnessSchema, ...errorResponses } },
    },
    async (request) => {
      const orgId = principalOf(request).orgId;
      await findProfile(core.db, orgId, request.params.id);
      const latest = await latestHarness(core.db, orgId, request.params.id);
      if (!latest) throw notFound('harness revision for profile', request.params.id);
      return presentHarness(latest);
    },
  );

  app.post(
    '/v1/runners/profiles/:id/harnesses',
    {
      config: { scope: 'runners:write' },
      schema: { tags, params: IdParams, body: HarnessBody, response: { 201: HarnessSchema, ...errorResponses } },
    },
    async (request, reply) => {
      const harness = await publishHarness(core, principalOf(request).orgId, request.params.id, {
        version: request.body.version,
        imageRef: request.body.image_ref,
      });
      return reply.status(201).send(presentHarness(harness));
    },
  );
};
