// The policy's permission rules: globs over scope and resource, first match wins, default ask, TTL caps.
import { describe, expect, it } from 'vitest';
import { globMatches, MAX_GRANT_TTL_SECONDS, matchRule } from '../../src/core/permission-requests.ts';

describe('permission rules', () => {
  it('`*` stays within a segment, `**` crosses them, everything else is literal', () => {
    expect(globMatches('github.com/acme/*', 'github.com/acme/api', '/')).toBe(true);
    expect(globMatches('github.com/acme/*', 'github.com/acme/api/sub', '/')).toBe(false);
    expect(globMatches('github.com/**', 'github.com/acme/api/sub', '/')).toBe(true);
    expect(globMatches('a.b', 'axb', '/')).toBe(false);
    expect(globMatches('(a|b)+', '(a|b)+', '/')).toBe(true);
    expect(globMatches('(a|b)+', 'a', '/')).toBe(false);
    expect(globMatches('repo:*', 'repo:write', ':')).toBe(true);
    expect(globMatches('repo:*', 'repo:write:all', ':')).toBe(false);
    expect(globMatches('x', 'x\ny', '/')).toBe(false);
  });

  it('the first matching rule decides; no match asks; TTLs are capped by the rule and the server', () => {
    const rules = [
      { scope: 'repo:*', resource: 'github.com/acme/secrets', action: 'deny' as const },
      { scope: 'repo:write', resource: 'github.com/acme/*', action: 'allow' as const, maxTtlSeconds: 60 },
      { scope: 'repo:write', resource: '**', action: 'ask' as const },
    ];
    expect(matchRule(rules, 'repo:write', 'github.com/acme/secrets')).toEqual({
      action: 'deny',
      index: 0,
      maxTtlSeconds: MAX_GRANT_TTL_SECONDS,
    });
    expect(matchRule(rules, 'repo:write', 'github.com/acme/api')).toMatchObject({ action: 'allow', maxTtlSeconds: 60 });
    expect(matchRule(rules, 'repo:write', 'gitlab.com/x')).toMatchObject({ action: 'ask', index: 2 });
    expect(matchRule(rules, 'db:read', 'prod')).toEqual({ action: 'ask', index: null, maxTtlSeconds: 86_400 });
    expect(matchRule([], 'anything', 'anywhere').action).toBe('ask');
  });
});
