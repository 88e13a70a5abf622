// /v1/runners/profiles/{id}/policy (issue 16): a profile's policy, versioned. Writing it takes `admin`; the rules
// decide permission requests, budgets and the cancel grace of the sessions dispatched under each version.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { budgetsFromBody, presentBudget } from '../../core/budgets.ts';
import type { Core } from '../../core/context.ts';
import { DEFAULT_RULES, policyHistory, putPolicy } from '../../core/policies.ts';
import type { PolicyRules, PolicyVersion } from '../../core/types.ts';
import { principalOf } from '../auth.ts';
import { errorResponses, IdParams } from './schemas.ts';

const Rule = Type.Object(
  {
    scope: Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z][a-z0-9_.-]*(:[a-z0-9_.*-]+)*$' }),
    resource: Type.String({
      minLength: 1,
      maxLength: 512,
      description: 'A glob: `*` matches within one path segment, `**` across segments',
    }),
    action: Type.Enum(['allow', 'ask', 'deny']),
    max_ttl_seconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 86_400 })),
  },
  { title: 'PermissionRule', additionalProperties: false },
);

const BudgetsSchema = Type.Object(
  {
    max_wall_seconds: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 31_536_000 })),
    max_tokens: Type.Optional(Type.Integer({ minimum: 1 })),
    max_cost_usd: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
  },
  { title: 'Budgets', additionalProperties: false },
);

const PolicyBody = Type.Object(
  {
    permissions: Type.Optional(Type.Array(Rule, { maxItems: 200, description: 'First match wins; default ask' })),
    budgets: Type.Optional(BudgetsSchema),
    cancel_grace_seconds: Type.Optional(Type.Number({ minimum: 1, maximum: 3600, default: 30 })),
  },
  { additionalProperties: false },
);

const PolicySchema = Type.Object(
  {
    profile_id: Type.String(),
    version: Type.Integer({ description: '0: the profile has no policy yet and these are the defaults' }),
    permissions: Type.Array(Rule),
    budgets: BudgetsSchema,
    cancel_grace_seconds: Type.Number(),
    created_by: Type.Unsafe<string | null>({ type: ['string', 'null'] }),
    created_at: Type.Unsafe<string | null>({ type: ['string', 'null'], format: 'date-time' }),
  },
  { title: 'ProfilePolicy' },
);

const presentRules = (rules: PolicyRules) => ({
  permissions: rules.permissions.map((rule) => ({
    scope: rule.scope,
    resource: rule.resource,
    action: rule.action,
    ...(rule.maxTtlSeconds !== undefined ? { max_ttl_seconds: rule.maxTtlSeconds } : {}),
  })),
  budgets: presentBudget(rules.budgets),
  cancel_grace_seconds: rules.cancelGraceSeconds,
});

const presentPolicy = (policy: PolicyVersion) => ({
  profile_id: policy.profileId,
  version: policy.version,
  ...presentRules(policy.rules),
  created_by: policy.createdBy,
  created_at: policy.createdAt.toISOString(),
});

export const policyRoutes: FastifyPluginAsyncTypebox<{ core: Core }> = async (app, { core }) => {
  const tags = ['profiles'];

  app.put(
    '/v1/runners/profiles/:id/policy',
    {
      config: { scope: 'admin' },
      schema: {
        tags,
        summary: "Write a new version of the profile's policy (sessions keep the version they were dispatched under)",
        params: IdParams,
        body: PolicyBody,
        response: { 200: PolicySchema, ...errorResponses },
      },
    },
    async (request) => {
      const body = request.body;
      const rules: PolicyRules = {
        permissions: (body.permissions ?? []).map((rule) => ({
          scope: rule.scope,
          resource: rule.resource,
          action: rule.action,
          ...(rule.max_ttl_seconds !== undefined ? { maxTtlSeconds: rule.max_ttl_seconds } : {}),
        })),
        budgets: budgetsFromBody(body.budgets),
        cancelGraceSeconds: body.cancel_grace_seconds ?? DEFAULT_RULES.cancelGraceSeconds,
      };
      return presentPolicy(await putPolicy(core, principalOf(request).orgId, request.params.id, rules));
    },
  );

  app.get(
    '/v1/runners/profiles/:id/policy',
    {
      config: { scope: 'runners:read' },
      schema: {
        tags,
        summary: "The profile's policy in force and every earlier version, newest first",
        params: IdParams,
        response: {
          200: Type.Object({ current: PolicySchema, versions: Type.Array(PolicySchema) }, { title: 'PolicyHistory' }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const versions = await policyHistory(core, principalOf(request).orgId, request.params.id);
      const current = versions[0]
        ? presentPolicy(versions[0])
        : {
            profile_id: request.params.id,
            version: 0,
            ...presentRules(DEFAULT_RULES),
            created_by: null,
            created_at: null,
          };
      return { current, versions: versions.map(presentPolicy) };
    },
  );
};
