// The container and service files (issue 15). Docker does not run on this machine and hadolint is not installable
// from the registries here, so these tests check that each file holds what it must: they are the only check the
// Dockerfile gets before someone builds it.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/processes.ts';

const read = (file: string) => fs.readFileSync(path.join(REPO_ROOT, file), 'utf8');

/** Dockerfile instructions with their continuation lines joined, comments dropped. */
function instructions(text: string): { op: string; args: string }[] {
  const joined = text
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('#'))
    .join('\n')
    .replace(/\\\n/g, ' ');
  return joined
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      const [op, ...rest] = line.split(/\s+/);
      return { op: op!.toUpperCase(), args: rest.join(' ') };
    });
}

/** `Key=value` lines of a systemd unit's section. */
function unit(text: string, section: string): Map<string, string> {
  const body = text.split(`[${section}]`)[1]?.split(/^\[/m)[0] ?? '';
  return new Map(
    body
      .split('\n')
      .filter((line) => /^[A-Za-z]+=/.test(line))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)] as [string, string]),
  );
}

describe('Dockerfile', () => {
  const steps = instructions(read('Dockerfile'));
  const last = (op: string) => steps.filter((s) => s.op === op).at(-1)?.args ?? '';
  const finalStage = steps.slice(steps.map((s) => s.op).lastIndexOf('FROM'));

  it('is multi-stage: builds the package in one stage and installs it without dev dependencies in the other', () => {
    const froms = steps.filter((s) => s.op === 'FROM');
    expect(froms.length).toBeGreaterThanOrEqual(2);
    expect(froms[0]!.args).toMatch(/ AS build$/i);
    expect(steps.some((s) => s.op === 'RUN' && /npm pack/.test(s.args))).toBe(true);
    expect(finalStage.some((s) => s.op === 'COPY' && s.args.startsWith('--from=build'))).toBe(true);
    expect(finalStage.some((s) => s.op === 'RUN' && /npm install .*--omit=dev/.test(s.args))).toBe(true);
  });

  it('runs as a non-root user under an init, with a health check, a data volume and the port', () => {
    const user = finalStage.filter((s) => s.op === 'USER').at(-1)?.args;
    expect(user).toBeDefined();
    expect(['root', '0']).not.toContain(user);
    expect(last('ENTRYPOINT')).toMatch(/tini|dumb-init/);
    expect(last('ENTRYPOINT')).toContain('"runplane"');
    expect(last('HEALTHCHECK')).toContain('/healthz');
    expect(last('VOLUME')).toContain('/var/lib/runplane');
    expect(last('ENV')).toContain('RUNPLANE_DATA_DIR=/var/lib/runplane');
    expect(last('ENV')).toContain('HOST=0.0.0.0');
    expect(last('EXPOSE')).toBe('8080');
  });

  it('builds on the Node major the engines field allows', () => {
    const engines = JSON.parse(read('package.json')).engines.node as string;
    const major = /node:(\d+)/.exec(steps.find((s) => s.op === 'FROM')!.args)![1];
    expect(engines).toMatch(new RegExp(`(>=|\\^)\\s*(${major}|2[02])`));
  });
});

describe('compose.yaml', () => {
  const text = read('compose.yaml');
  it('runs PostgreSQL, the server on it and one runner, with stop grace longer than their own', () => {
    for (const service of ['postgres', 'runplane', 'runner']) expect(text).toMatch(new RegExp(`^  ${service}:$`, 'm'));
    expect(text).toContain('DATABASE_URL: postgres://');
    expect(text).toContain('RUNPLANE_BOOTSTRAP_ADMIN_PASSWORD_FILE: /run/secrets/');
    expect(text).toMatch(/condition: service_healthy/);
    const graces = [...text.matchAll(/stop_grace_period: (\d+)s/g)].map((m) => Number(m[1]));
    expect(graces).toEqual([20, 50]); // server > 10 s grace; runner > 30 s drain + 10 s kill grace
  });
});

describe('systemd units', () => {
  it('the server: restarts on failure, SIGTERM, stop timeout longer than its shutdown grace', () => {
    const service = unit(read('deploy/systemd/runplane.service'), 'Service');
    expect(service.get('ExecStart')).toMatch(/runplane serve$/);
    expect(service.get('Restart')).toBe('on-failure');
    expect(service.get('KillSignal')).toBe('SIGTERM');
    expect(Number(service.get('TimeoutStopSec'))).toBeGreaterThan(10);
    expect(service.get('User')).not.toBe('root');
  });

  it('the runner: the binary itself (not npm, which eats SIGTERM), stop timeout longer than drain plus grace', () => {
    const service = unit(read('deploy/systemd/runplane-runner.service'), 'Service');
    expect(service.get('ExecStart')).toMatch(/runplane runner$/);
    expect(service.get('ExecStart')).not.toContain('npm');
    expect(service.get('KillSignal')).toBe('SIGTERM');
    expect(service.get('KillMode')).toBe('mixed');
    expect(Number(service.get('TimeoutStopSec'))).toBeGreaterThan(30 + 10);
    expect(service.get('Restart')).toBe('always');
  });
});
