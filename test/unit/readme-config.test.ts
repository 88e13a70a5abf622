// The README's configuration tables name exactly the variables the code reads: the server's (src/config.ts) and
// the runner agent's (its flags' environment twins in src/cli/runner.ts, plus the model key).
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/processes.ts';

const read = (file: string) => fs.readFileSync(path.join(REPO_ROOT, file), 'utf8');
const readme = read('README.md');

/** The README text from `heading` to the next heading of the same level. */
function section(heading: string): string {
  const start = readme.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`README has no "${heading}"`);
  const level = heading.split(' ')[0]!;
  const end = readme.indexOf(`\n${level} `, start + heading.length + 1);
  return readme.slice(start, end < 0 ? undefined : end);
}

/** Variables in the first column(s) of a table's rows: `| \`A\` / \`B\` | …`. */
function tableVariables(text: string, column: number): Set<string> {
  const names = new Set<string>();
  for (const line of text.split('\n').filter((l) => l.startsWith('| '))) {
    const cell = line.split('|')[column + 1] ?? '';
    for (const match of cell.matchAll(/`([A-Z][A-Z0-9_]+)`/g)) names.add(match[1]!);
  }
  return names;
}

const sorted = (names: Iterable<string>) => [...names].sort();

describe('README configuration tables', () => {
  it('the server table lists every variable src/config.ts reads, and no other', () => {
    const code = new Set(
      [...read('src/config.ts').matchAll(/'((?:RUNPLANE_[A-Z0-9_]+)|PORT|HOST|DATABASE_URL)'/g)].map((m) => m[1]!),
    );
    expect(code.size).toBeGreaterThan(30);
    expect(sorted(tableVariables(section('## Configuration'), 0))).toEqual(sorted(code));
  });

  it('the runner table lists every variable the runner agent reads, and no other', () => {
    const source = read('src/cli/runner.ts');
    const code = new Set([...source.matchAll(/\.env\(\s*'([A-Z0-9_]+)'/g)].map((m) => m[1]!));
    for (const direct of source.matchAll(/process\.env\['([A-Z0-9_]+)'\]/g)) code.add(direct[1]!);
    expect(code.size).toBeGreaterThan(20);
    expect(sorted(tableVariables(section('## The runner agent (`runplane runner`)'), 1))).toEqual(sorted(code));
  });
});
