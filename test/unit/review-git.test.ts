import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkout, diffAgainstBase, type GitOptions, gitEnv } from '../../src/agent/review/git.ts';
import { createReviewRepo, type ReviewRepo } from '../support/git-repo.ts';

let repo: ReviewRepo;
let root: string;

beforeAll(() => {
  repo = createReviewRepo();
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'runplane-review-git-'));
});

afterAll(() => {
  repo.cleanup();
  fs.rmSync(root, { recursive: true, force: true });
});

/** A fresh, empty checkout dir and private home under the test's root. */
function dirs() {
  const dir = fs.mkdtempSync(path.join(root, 'w-'));
  fs.mkdirSync(path.join(dir, 'checkout'));
  fs.mkdirSync(path.join(dir, 'home'));
  return { checkoutDir: path.join(dir, 'checkout'), home: path.join(dir, 'home') };
}

const options = (home: string, overrides: Partial<GitOptions> = {}): GitOptions => ({
  signal: new AbortController().signal,
  allowFileRepos: true,
  home,
  runAs: null,
  maxOutputBytes: 1024 * 1024,
  timeoutMs: 30_000,
  ...overrides,
});

const head = (dir: string) => execFileSync('git', ['rev-parse', 'HEAD'], { cwd: dir }).toString().trim();

describe('git hardening', () => {
  it('checks out a file:// repository with --allow-file-repos and diffs it against the base', async () => {
    const { checkoutDir, home } = dirs();
    const task = { repositoryUrl: repo.url, branch: 'feature/x', commitSha: repo.headSha, baseSha: repo.baseSha };
    await checkout(checkoutDir, task, options(home));
    expect(head(checkoutDir)).toBe(repo.headSha);
    expect(fs.readFileSync(path.join(checkoutDir, 'src/util.ts'), 'utf8')).toContain('twice');
    // No hook templates were copied, and the private home stayed empty.
    expect(fs.existsSync(path.join(checkoutDir, '.git/hooks'))).toBe(false);
    expect(fs.readdirSync(home)).toEqual([]);
    const diff = await diffAgainstBase(checkoutDir, task, options(home));
    expect(diff).toContain('diff --git a/src/util.ts b/src/util.ts');
    expect(diff).toContain('+export const c = a + b;');
  });

  it('a file:// repository is refused by git itself without --allow-file-repos', async () => {
    const { checkoutDir, home } = dirs();
    const task = { repositoryUrl: repo.url, branch: 'feature/x', commitSha: repo.headSha };
    await expect(checkout(checkoutDir, task, options(home, { allowFileRepos: false }))).rejects.toThrow(
      /git fetch failed \(exit 128\): fatal: transport 'file' not allowed/,
    );
  });

  // The task checks refuse these values before git runs; these rows show git alone would not run them either.
  it('an unchecked branch that looks like an option stays a refspec: nothing runs', async () => {
    const { checkoutDir, home } = dirs();
    const marker = path.join(root, 'pwned-branch');
    const task = {
      repositoryUrl: repo.url,
      branch: `--upload-pack=touch ${marker};`,
      // Not in the repository: the SHA fetch fails and the branch fallback runs with the hostile name.
      commitSha: 'f'.repeat(40),
    };
    await expect(checkout(checkoutDir, task, options(home))).rejects.toThrow(/git fetch failed/);
    expect(fs.existsSync(marker)).toBe(false);
  });

  it('an unchecked ext:: URL is refused by the transport allow-list: nothing runs', async () => {
    const { checkoutDir, home } = dirs();
    const marker = path.join(root, 'pwned-ext');
    const task = { repositoryUrl: `ext::sh -c touch% ${marker}`, branch: 'main', commitSha: repo.headSha };
    await expect(checkout(checkoutDir, task, options(home))).rejects.toThrow(/transport 'ext' not allowed/);
    expect(fs.existsSync(marker)).toBe(false);
  });

  it("git's environment is PATH, locale, a private HOME and git's own settings: no agent variable", () => {
    process.env.RUNPLANE_API_KEY = 'rp_secret';
    process.env.RUNPLANE_LLM_API_KEY = 'llm_secret';
    process.env.GIT_DIR = '/somewhere/else';
    try {
      const env = gitEnv('/tmp/home-x');
      expect(Object.keys(env).sort()).toEqual(
        [
          'GIT_ATTR_NOSYSTEM',
          'GIT_CONFIG_GLOBAL',
          'GIT_CONFIG_NOSYSTEM',
          'GIT_SSH_COMMAND',
          'GIT_TERMINAL_PROMPT',
          'HOME',
          'PATH',
          'TMPDIR',
          ...['LANG', 'LC_ALL', 'TZ'].filter((name) => process.env[name]),
        ].sort(),
      );
      expect(env).toMatchObject({ HOME: '/tmp/home-x', GIT_TERMINAL_PROMPT: '0', GIT_CONFIG_GLOBAL: '/dev/null' });
    } finally {
      delete process.env.RUNPLANE_API_KEY;
      delete process.env.RUNPLANE_LLM_API_KEY;
      delete process.env.GIT_DIR;
    }
  });

  it('over ssh, the processes git starts see none of the agent secrets (a fake ssh on PATH records its env)', async () => {
    const bin = fs.mkdtempSync(path.join(root, 'bin-'));
    const dump = path.join(bin, 'env.txt');
    // Plays ssh: records its environment and argv, then runs the remote command locally (git-upload-pack '<path>').
    fs.writeFileSync(
      path.join(bin, 'ssh'),
      `#!/bin/sh\nenv > '${dump}'\necho "ARGV $*" >> '${dump}'\nfor last; do :; done\nexec sh -c "$last"\n`,
      { mode: 0o755 },
    );
    const savedPath = process.env.PATH;
    process.env.PATH = `${bin}:${savedPath}`;
    process.env.RUNPLANE_API_KEY = 'rp_secret';
    process.env.RUNPLANE_LLM_API_KEY = 'llm_secret';
    try {
      const { checkoutDir, home } = dirs();
      const bare = new URL(repo.url).pathname;
      const task = { repositoryUrl: `ssh://git@localhost${bare}`, branch: 'feature/x', commitSha: repo.headSha };
      await checkout(checkoutDir, task, options(home, { allowFileRepos: false }));
      expect(head(checkoutDir)).toBe(repo.headSha);
    } finally {
      process.env.PATH = savedPath;
      delete process.env.RUNPLANE_API_KEY;
      delete process.env.RUNPLANE_LLM_API_KEY;
    }
    const seen = fs.readFileSync(dump, 'utf8');
    expect(seen).toContain('ARGV -o BatchMode=yes');
    expect(seen).toContain('GIT_TERMINAL_PROMPT=0');
    expect(seen).not.toContain('RUNPLANE_');
    expect(seen).not.toContain('secret');
  });

  it('a symlink in the repository is checked out as a plain file holding its target, never followed', async () => {
    const source = path.join(root, 'links');
    const run = (...args: string[]) =>
      execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@e', ...args], { cwd: source })
        .toString()
        .trim();
    fs.mkdirSync(source);
    run('init', '--quiet');
    fs.symlinkSync('/etc/passwd', path.join(source, 'passwd'));
    run('add', '.');
    run('commit', '--quiet', '-m', 'link');
    const sha = run('rev-parse', 'HEAD');
    const { checkoutDir, home } = dirs();
    await checkout(checkoutDir, { repositoryUrl: `file://${source}`, branch: 'main', commitSha: sha }, options(home));
    const checkedOut = path.join(checkoutDir, 'passwd');
    expect(fs.lstatSync(checkedOut).isSymbolicLink()).toBe(false);
    expect(fs.readFileSync(checkedOut, 'utf8')).toBe('/etc/passwd');
  });

  it('a diff larger than --max-output-bytes fails with a clear reason', async () => {
    const { checkoutDir, home } = dirs();
    const task = { repositoryUrl: repo.url, branch: 'feature/x', commitSha: repo.headSha, baseSha: repo.baseSha };
    await checkout(checkoutDir, task, options(home));
    await expect(diffAgainstBase(checkoutDir, task, options(home, { maxOutputBytes: 100 }))).rejects.toThrow(
      'git diff printed more than 100 bytes (--max-output-bytes)',
    );
  });

  it('an abort stops git and rejects with the abort reason', async () => {
    const { checkoutDir, home } = dirs();
    const abort = new AbortController();
    abort.abort(new Error('cancelled on request'));
    const task = { repositoryUrl: repo.url, branch: 'feature/x', commitSha: repo.headSha };
    await expect(checkout(checkoutDir, task, options(home, { signal: abort.signal }))).rejects.toThrow(
      'cancelled on request',
    );
  });
});
