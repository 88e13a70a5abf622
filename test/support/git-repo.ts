// A real git repository for review tests: a base commit and a head commit changing two files, served as a bare
// repository at a file:// URL (the runner fetches it exactly as it would fetch a remote).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type DiffFile, parseGitDiff } from '../../src/agent/review/diff.ts';

export interface ReviewRepo {
  url: string;
  baseSha: string;
  headSha: string;
  files: DiffFile[];
  cleanup(): void;
}

/** A `POST /api/reviews` body reviewing the repo's head against its base with the runner's `--reviewer-command`. */
export const commandReviewOf = (repo: ReviewRepo, overrides: Record<string, unknown> = {}) => ({
  repositoryUrl: repo.url,
  branch: 'feature/x',
  commitSha: repo.headSha,
  baseSha: repo.baseSha,
  files: [],
  aiConfig: { provider: 'command', model: 'n/a' },
  ...overrides,
});

export function createReviewRepo(): ReviewRepo {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'runplane-repo-'));
  const work = path.join(root, 'work');
  const git = (...args: string[]) =>
    execFileSync('git', args, {
      cwd: work,
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: 't',
        GIT_AUTHOR_EMAIL: 't@e',
        GIT_COMMITTER_NAME: 't',
        GIT_COMMITTER_EMAIL: 't@e',
      },
    })
      .toString()
      .trim();
  fs.mkdirSync(path.join(work, 'src'), { recursive: true });
  execFileSync('git', ['init', '--quiet', '--initial-branch=main', work]);
  fs.writeFileSync(path.join(work, 'src/app.ts'), 'export const a = 1;\nexport const b = 2;\n');
  fs.writeFileSync(path.join(work, 'README.md'), '# app\n');
  git('add', '.');
  git('commit', '--quiet', '-m', 'base');
  const baseSha = git('rev-parse', 'HEAD');
  git('checkout', '--quiet', '-b', 'feature/x');
  fs.writeFileSync(
    path.join(work, 'src/app.ts'),
    'export const a = 1;\nexport const b = 2;\nexport const c = a + b;\n',
  );
  fs.writeFileSync(path.join(work, 'src/util.ts'), 'export function twice(n: number) {\n  return n * 2;\n}\n');
  git('add', '.');
  git('commit', '--quiet', '-m', 'head');
  const headSha = git('rev-parse', 'HEAD');
  const files = parseGitDiff(git('diff', '--no-color', baseSha, headSha));
  const bare = path.join(root, 'repo.git');
  execFileSync('git', ['clone', '--quiet', '--bare', work, bare]);
  return {
    url: `file://${bare}`,
    baseSha,
    headSha,
    files,
    cleanup: () => fs.rmSync(root, { recursive: true, force: true }),
  };
}
