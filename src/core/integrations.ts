// Integration settings of an org: which repositories its reviews may be posted to. Delivery posts with the
// server-wide GitHub/GitLab token, so the binding, not the token's reach, decides where an org's reviews go: a
// review naming a repository outside it is refused at creation, and delivery checks again (a binding removed after
// the review was created stops its posting).
import type { Queryable } from '../store/db.ts';
import { listRepositoryPatterns, type Provider, replaceRepositoryPatterns } from '../store/sql/integrations.ts';
import { recordAudit } from './audit.ts';
import type { Core } from './context.ts';
import { invalid } from './errors.ts';
import { REPOSITORY_PATH_PATTERN } from './git-refs.ts';
import type { PullRequestRef } from './types.ts';

export type { Provider };
export const PROVIDERS: readonly Provider[] = ['github', 'gitlab'];
export const MAX_PATTERNS = 200;

/** `owner/name` exactly, or `prefix/*`: every repository below that prefix. */
export const REPOSITORY_BINDING_PATTERN =
  '^[A-Za-z0-9_][A-Za-z0-9_.-]*(?:/[A-Za-z0-9_][A-Za-z0-9_.-]*)*/(?:\\*|[A-Za-z0-9_][A-Za-z0-9_.-]*)$';

const repositoryPath = new RegExp(REPOSITORY_PATH_PATTERN);
const bindingPattern = new RegExp(REPOSITORY_BINDING_PATTERN);

/** Both providers match paths case-insensitively (as their URLs do). */
export function patternMatches(pattern: string, repository: string): boolean {
  const wanted = repository.toLowerCase();
  const given = pattern.toLowerCase();
  return given.endsWith('/*') ? wanted.startsWith(given.slice(0, -1)) : wanted === given;
}

export function getRepositoryBindings(core: Core, orgId: string): Promise<Record<Provider, string[]>> {
  return listRepositoryPatterns(core.db, orgId);
}

export async function setRepositoryBindings(
  core: Core,
  orgId: string,
  provider: Provider,
  patterns: readonly string[],
): Promise<string[]> {
  patterns.forEach((pattern, index) => {
    if (!bindingPattern.test(pattern)) {
      throw invalid(
        `repositories[${index}]`,
        `repositories[${index}] is not a repository path (owner/name) or a prefix ending in /* (owner/*)`,
      );
    }
  });
  const unique = [...new Set(patterns)].sort();
  await core.db.tx(async (tx) => {
    await replaceRepositoryPatterns(tx, orgId, provider, unique);
    await recordAudit(tx, provider);
  });
  return unique;
}

/** Throws 400 naming `field` unless the org may post to the pull request's repository. */
export async function checkRepositoryBound(
  q: Queryable,
  orgId: string,
  pullRequest: PullRequestRef,
  field = 'pullRequest.repository',
): Promise<void> {
  const { provider, repository } = pullRequest;
  if (!repositoryPath.test(repository)) {
    throw invalid(field, `${field} is not a repository path such as owner/name`);
  }
  if (await isRepositoryBound(q, orgId, pullRequest)) return;
  const owner = repository.split('/')[0];
  throw invalid(
    field,
    `${repository} is not among the ${provider} repositories this org may post to; an admin binds it with ` +
      `PUT /v1/integrations/${provider} {"repositories": ["${repository}"]} (or "${owner}/*")`,
  );
}

export async function isRepositoryBound(q: Queryable, orgId: string, pullRequest: PullRequestRef): Promise<boolean> {
  const patterns = (await listRepositoryPatterns(q, orgId))[pullRequest.provider];
  return patterns.some((pattern) => patternMatches(pattern, pullRequest.repository));
}
