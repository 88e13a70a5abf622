// /v1/integrations: an org's integration settings — the repositories its reviews may be posted to (an extension).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Core } from '../../core/context.ts';
import {
  getRepositoryBindings,
  MAX_PATTERNS,
  PROVIDERS,
  REPOSITORY_BINDING_PATTERN,
  setRepositoryBindings,
} from '../../core/integrations.ts';
import { principalOf } from '../auth.ts';
import { errorResponses } from './schemas.ts';

const Repositories = Type.Array(Type.String({ minLength: 3, maxLength: 512, pattern: REPOSITORY_BINDING_PATTERN }), {
  maxItems: MAX_PATTERNS,
  description: 'Repository paths (owner/name, GitLab group/sub/project) or prefixes ending in /* (owner/*)',
});
const ProviderBinding = Type.Object({ repositories: Repositories });
const IntegrationsSchema = Type.Object({ github: ProviderBinding, gitlab: ProviderBinding });

export const integrationRoutes: FastifyPluginAsyncTypebox<{ core: Core }> = async (app, { core }) => {
  const tags = ['integrations'];

  const answer = async (orgId: string) => {
    const bindings = await getRepositoryBindings(core, orgId);
    return { github: { repositories: bindings.github }, gitlab: { repositories: bindings.gitlab } };
  };

  app.get(
    '/v1/integrations',
    {
      config: { scope: 'admin' },
      schema: {
        tags,
        summary: 'Where this org’s reviews may be posted, per provider',
        'x-runplane-extension': true,
        response: { 200: IntegrationsSchema, ...errorResponses },
      },
    },
    async (request) => answer(principalOf(request).orgId),
  );

  app.put(
    '/v1/integrations/:provider',
    {
      config: { scope: 'admin' },
      schema: {
        tags,
        summary:
          'Replace the repositories this org may post reviews to with one provider; a review naming another is refused',
        'x-runplane-extension': true,
        params: Type.Object({ provider: Type.Enum([...PROVIDERS]) }),
        body: ProviderBinding,
        response: { 200: IntegrationsSchema, ...errorResponses },
      },
    },
    async (request) => {
      const orgId = principalOf(request).orgId;
      await setRepositoryBindings(core, orgId, request.params.provider, request.body.repositories);
      return answer(orgId);
    },
  );
};
