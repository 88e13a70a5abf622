// The kill switch (issue 16): suspend and unsuspend one profile, or the caller's whole org. Scope `admin`.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Core } from '../../core/context.ts';
import { suspendOrg, suspendProfile, unsuspendOrg, unsuspendProfile } from '../../core/suspension.ts';
import { principalOf } from '../auth.ts';
import { errorResponses, IdParams, ProfileSchema, presentProfile } from './schemas.ts';

const SuspendBody = Type.Object(
  { reason: Type.String({ minLength: 1, maxLength: 1024, description: 'Why: shown on the profile and audited' }) },
  { additionalProperties: false },
);

const Counts = {
  cancelled: Type.Integer({ description: 'Sessions that were pending or paused: cancelled at once' }),
  cancel_requested: Type.Integer({
    description: 'Sessions a runner held: asked to stop, and cancelled by the server after the pinned cancel grace',
  }),
};

const OrgSuspension = Type.Object(
  {
    org_id: Type.String(),
    suspended_at: Type.Unsafe<string | null>({ type: ['string', 'null'], format: 'date-time' }),
    suspended_reason: Type.Unsafe<string | null>({ type: ['string', 'null'] }),
  },
  { title: 'OrgSuspension' },
);

const presentOrg = (org: { orgId: string; suspendedAt: Date | null; suspendedReason: string | null }) => ({
  org_id: org.orgId,
  suspended_at: org.suspendedAt ? org.suspendedAt.toISOString() : null,
  suspended_reason: org.suspendedReason,
});

export const suspensionRoutes: FastifyPluginAsyncTypebox<{ core: Core }> = async (app, { core }) => {
  app.post(
    '/v1/runners/profiles/:id/suspend',
    {
      config: { scope: 'admin' },
      schema: {
        tags: ['profiles'],
        summary:
          'Kill switch: refuse new dispatches to the profile (409 profile_suspended) and cancel its pending and running sessions',
        params: IdParams,
        body: SuspendBody,
        response: { 200: Type.Object({ profile: ProfileSchema, ...Counts }), ...errorResponses },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const done = await suspendProfile(core, principal.orgId, request.params.id, request.body.reason, principal.actor);
      return {
        profile: presentProfile(done.profile),
        cancelled: done.cancelled,
        cancel_requested: done.cancelRequested,
      };
    },
  );

  app.post(
    '/v1/runners/profiles/:id/unsuspend',
    {
      config: { scope: 'admin' },
      schema: {
        tags: ['profiles'],
        summary: 'Turn the kill switch off: the profile takes dispatches again',
        params: IdParams,
        response: { 200: Type.Object({ profile: ProfileSchema }), ...errorResponses },
      },
    },
    async (request) => ({
      profile: presentProfile(await unsuspendProfile(core, principalOf(request).orgId, request.params.id)),
    }),
  );

  app.post(
    '/v1/runners/suspend',
    {
      config: { scope: 'admin' },
      schema: {
        tags: ['sessions'],
        summary:
          'Kill switch for the whole organisation: refuse every new dispatch and review (409 org_suspended) and cancel every unfinished session',
        body: SuspendBody,
        response: { 200: Type.Object({ org: OrgSuspension, ...Counts }), ...errorResponses },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const done = await suspendOrg(core, principal.orgId, request.body.reason, principal.actor);
      return { org: presentOrg(done.org), cancelled: done.cancelled, cancel_requested: done.cancelRequested };
    },
  );

  app.post(
    '/v1/runners/unsuspend',
    {
      config: { scope: 'admin' },
      schema: {
        tags: ['sessions'],
        summary: "Turn the organisation's kill switch off",
        response: { 200: Type.Object({ org: OrgSuspension }), ...errorResponses },
      },
    },
    async (request) => ({ org: presentOrg(await unsuspendOrg(core, principalOf(request).orgId)) }),
  );
};
