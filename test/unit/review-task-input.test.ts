import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  checkBranchName,
  checkRepositoryUrl,
  checkReviewTask,
  displayUrl,
  InvalidTaskInput,
} from '../../src/agent/task-input.ts';

const SHA = 'a1b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8c9d0';
const task = (overrides: Record<string, unknown> = {}) => ({
  id: '6f1c2b9e-1d2a-4c43-9a57-1f1f1f1f1f1f',
  reviewId: '0b7f9a8e-3c1d-4e5f-8a9b-0c1d2e3f4a5b',
  repositoryUrl: 'https://git.example.com/acme/app.git',
  branch: 'feature/x',
  commitSha: SHA,
  baseSha: '0123456789abcdef0123456789abcdef01234567',
  files: [{ path: 'src/app.ts', status: 'modified', patch: '@@ -1 +1 @@\n-a\n+b' }],
  aiConfig: { provider: 'openai', model: 'gpt-a', baseUrl: 'http://attacker.example', apiKey: 'x' },
  attempt: 1,
  ...overrides,
});

const refusal = (input: unknown, options = { allowFileRepos: false, models: ['gpt-a', 'gpt-b'] }) => {
  try {
    checkReviewTask(input, options);
  } catch (error) {
    if (error instanceof InvalidTaskInput) return { field: error.field, message: error.message };
    throw error;
  }
  return null;
};

describe('checkReviewTask', () => {
  it('returns a typed task; of aiConfig only the model is kept, SHAs are lower-cased', () => {
    const checked = checkReviewTask(task({ commitSha: SHA.toUpperCase() }), {
      allowFileRepos: false,
      models: ['gpt-a'],
    });
    expect(checked).toEqual({
      id: '6f1c2b9e-1d2a-4c43-9a57-1f1f1f1f1f1f',
      attempt: 1,
      reviewId: '0b7f9a8e-3c1d-4e5f-8a9b-0c1d2e3f4a5b',
      repositoryUrl: 'https://git.example.com/acme/app.git',
      branch: 'feature/x',
      commitSha: SHA,
      baseSha: '0123456789abcdef0123456789abcdef01234567',
      files: [{ path: 'src/app.ts', status: 'modified', patch: '@@ -1 +1 @@\n-a\n+b' }],
      aiConfig: { model: 'gpt-a' },
    });
  });

  it('optional fields may be absent: no baseSha, no files, no aiConfig, no model', () => {
    const checked = checkReviewTask(task({ baseSha: null, files: [], aiConfig: {}, reviewId: undefined }), {
      allowFileRepos: false,
      models: ['gpt-a'],
    });
    expect(checked).toMatchObject({ baseSha: null, files: [], aiConfig: { model: null }, reviewId: null });
    expect(checkReviewTask(task({ aiConfig: undefined }), { allowFileRepos: false }).aiConfig).toEqual({ model: null });
  });

  it('without a model list (an external reviewer) any sane model name passes as data', () => {
    expect(checkReviewTask(task({ aiConfig: { model: 'n/a' } }), { allowFileRepos: false }).aiConfig.model).toBe('n/a');
  });

  const sha64 = 'ab'.repeat(32);
  const hostile: [string, unknown, string][] = [
    ['branch that is an option of git fetch', task({ branch: '--upload-pack=touch /tmp/x;' }), 'branch'],
    ['branch with a space', task({ branch: 'a b' }), 'branch'],
    ['branch with ..', task({ branch: 'a..b' }), 'branch'],
    ['branch ending in .lock', task({ branch: 'x/y.lock' }), 'branch'],
    ['branch that is not a string', task({ branch: ['main'] }), 'branch'],
    ['ext:: transport', task({ repositoryUrl: 'ext::sh -c touch% /tmp/x' }), 'repositoryUrl'],
    ['ext:: transport without spaces', task({ repositoryUrl: 'ext::sh' }), 'repositoryUrl'],
    ['fd:: transport', task({ repositoryUrl: 'fd::3' }), 'repositoryUrl'],
    ['file:// without --allow-file-repos', task({ repositoryUrl: 'file:///srv/repo.git' }), 'repositoryUrl'],
    ['a local path', task({ repositoryUrl: '/srv/repo.git' }), 'repositoryUrl'],
    ['a URL that is an option', task({ repositoryUrl: '--upload-pack=touch /tmp/x' }), 'repositoryUrl'],
    ['ssh host that is an option', task({ repositoryUrl: 'ssh://-oProxyCommand=touch%20x/repo' }), 'repositoryUrl'],
    ['scp-like host that is an option', task({ repositoryUrl: 'git@-oProxyCommand=x:repo' }), 'repositoryUrl'],
    ['http (plain text)', task({ repositoryUrl: 'http://git.example.com/r.git' }), 'repositoryUrl'],
    ['a URL with a newline', task({ repositoryUrl: 'https://h/r.git\n--x' }), 'repositoryUrl'],
    ['SHA with spaces', task({ commitSha: `${SHA.slice(0, 20)} ${SHA.slice(21)}` }), 'commitSha'],
    ['abbreviated SHA', task({ commitSha: SHA.slice(0, 12) }), 'commitSha'],
    ['SHA that is an option', task({ commitSha: '--output=/tmp/x' }), 'commitSha'],
    ['base SHA that is an option', task({ baseSha: '--output=/tmp/x' }), 'baseSha'],
    [
      'file outside the repository',
      task({ files: [{ path: '../../etc/passwd', status: 'modified' }] }),
      'files[0].path',
    ],
    ['absolute file path', task({ files: [{ path: '/etc/passwd', status: 'modified' }] }), 'files[0].path'],
    ['file path with NUL', task({ files: [{ path: 'a\0b', status: 'added' }] }), 'files[0].path'],
    ['file path with a newline', task({ files: [{ path: 'a\n### b', status: 'added' }] }), 'files[0].path'],
    ['file without a status', task({ files: [{ path: 'a' }] }), 'files[0].status'],
    ['patch that is not text', task({ files: [{ path: 'a', status: 'added', patch: 7 }] }), 'files[0].patch'],
    ['too many files', task({ files: Array.from({ length: 3001 }, () => ({ path: 'a', status: 'added' })) }), 'files'],
    ['files that are not a list', task({ files: 'src/app.ts' }), 'files'],
    ['a model the runner does not offer', task({ aiConfig: { model: 'gpt-expensive' } }), 'aiConfig.model'],
    ['aiConfig that is not an object', task({ aiConfig: 'gpt-a' }), 'aiConfig'],
    ['an id with a slash', task({ id: '../runners/r1' }), 'id'],
    ['an id that is an option', task({ id: '-x' }), 'id'],
    ['attempt zero', task({ attempt: 0 }), 'attempt'],
    ['attempt as text', task({ attempt: '1' }), 'attempt'],
    ['an empty input (a /v1 dispatch with input {})', {}, 'id'],
    ['an empty input with an id', { id: 't1', attempt: 1 }, 'repositoryUrl'],
    ['no task at all', null, 'task'],
  ];

  it.each(hostile)('refuses %s, naming the field', (_name, input, field) => {
    const refused = refusal(input);
    expect(refused?.field).toBe(field);
    expect(refused?.message.startsWith(field === 'task' ? 'the task' : field)).toBe(true);
  });

  it('messages quote the value and say why, cut short', () => {
    expect(refusal(task({ branch: '--upload-pack=touch /tmp/x;' }))?.message).toBe(
      'branch "--upload-pack=touch /tmp/x;" is not a branch name git accepts: it starts with "-"',
    );
    expect(refusal(task({ aiConfig: { model: 'gpt-x' } }))?.message).toBe(
      'aiConfig.model "gpt-x" is not a model this runner offers (--llm-models: gpt-a, gpt-b)',
    );
    expect(refusal(task({ branch: `-${'x'.repeat(400)}` }))!.message.length).toBeLessThan(220);
    expect(checkReviewTask(task({ commitSha: sha64 }), { allowFileRepos: false }).commitSha).toBe(sha64);
  });
});

describe('repository URLs', () => {
  it.each([
    'https://github.com/acme/app.git',
    'https://x-access-token:abc@github.com/acme/app.git',
    'ssh://git@github.com/acme/app.git',
    'ssh://git@github.com:2222/acme/app.git',
    'git://git.example.com/app.git',
    'git@github.com:acme/app.git',
    'deploy@10.0.0.5:/srv/git/app.git',
  ])('accepts %s', (url) => {
    expect(checkRepositoryUrl(url, false)).toBe(url);
  });

  it('file:// only with --allow-file-repos, and only of an absolute path', () => {
    expect(() => checkRepositoryUrl('file:///srv/app.git', false)).toThrow(/--allow-file-repos/);
    expect(checkRepositoryUrl('file:///srv/app.git', true)).toBe('file:///srv/app.git');
    expect(() => checkRepositoryUrl('file://srv/app.git', true)).toThrow(InvalidTaskInput);
  });

  it.each(['ext::sh -c id', 'fd::0', 'ftp://h/r', 'git+ssh://h/r', 'h:r', '@h:r', 'git@h:-r', ''])(
    'refuses %j',
    (url) => {
      expect(() => checkRepositoryUrl(url, true)).toThrow(InvalidTaskInput);
    },
  );

  it('logs show no password or https token', () => {
    expect(displayUrl('https://x-access-token:abc@github.com/a/b.git')).toBe('https://***:***@github.com/a/b.git');
    expect(displayUrl('https://ghp_token@github.com/a/b.git')).toBe('https://***@github.com/a/b.git');
    expect(displayUrl('ssh://git@github.com/a/b.git')).toBe('ssh://git@github.com/a/b.git');
    expect(displayUrl('git@github.com:a/b.git')).toBe('git@github.com:a/b.git');
  });
});

describe('branch names', () => {
  // The rules are ours, so they are checked against git's own verdict on the same names.
  const names = [
    'main',
    'feature/x',
    'release-1.2',
    'user@host',
    'ünïcode/branch',
    'a+b',
    '-x',
    '--upload-pack=x',
    'a..b',
    'a b',
    'a~1',
    'a^',
    'a:b',
    'a?',
    'a*',
    'a[b',
    'a\\b',
    'a/',
    '/a',
    'a//b',
    'a.',
    '.a',
    'a/.b',
    'a.lock',
    'a.lock/b',
    'a@{1}',
    '@',
    'HEAD',
    'a\tb',
    'x\u007f',
  ];

  it.each(names)('%j: accepted exactly when git check-ref-format --branch accepts it', (name) => {
    let gitAccepts = true;
    try {
      execFileSync('git', ['check-ref-format', '--branch', name], { stdio: 'ignore' });
    } catch {
      gitAccepts = false;
    }
    // Stricter than git on purpose: never a leading '-' (it could become an option), and not '@', which git's
    // --branch reads as "the current branch".
    const expected = gitAccepts && !name.startsWith('-') && name !== '@';
    let ours = true;
    try {
      checkBranchName(name);
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidTaskInput);
      ours = false;
    }
    expect(ours).toBe(expected);
  });
});
