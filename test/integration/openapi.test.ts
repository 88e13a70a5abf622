// The served OpenAPI document as client generators see it (issue 15): `redocly lint` (pinned, with redocly.yaml)
// finds no error, and every operation has a unique operationId and a summary.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { operationIdFor } from '../../src/http/openapi.ts';
import { REPO_ROOT } from '../support/processes.ts';
import { client, useTestServer } from '../support/server.ts';

const REDOCLY = path.join(REPO_ROOT, 'node_modules', '@redocly', 'cli', 'bin', 'cli.js');

describe('the OpenAPI document', () => {
  const t = useTestServer('embedded');

  it('passes redocly lint with no error; every operation has a unique operationId and a summary', async () => {
    const doc = (await client(t.server.url, null).get('/openapi.json')).body;
    const operations = Object.entries(doc.paths as Record<string, Record<string, Record<string, unknown>>>).flatMap(
      ([url, methods]) => Object.entries(methods).map(([method, op]) => ({ url, method, op })),
    );
    expect(operations.length).toBeGreaterThan(60);
    const ids = operations.map(({ op }) => op['operationId']);
    expect(ids.every((id) => typeof id === 'string' && /^[a-z][A-Za-z]+$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    expect(operations.filter(({ op }) => !op['summary'])).toEqual([]);
    expect(doc.servers).toEqual([{ url: '/', description: 'This Runplane server' }]);

    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'runplane-openapi-')), 'openapi.json');
    fs.writeFileSync(file, JSON.stringify(doc));
    const lint = await promisify(execFile)(
      process.execPath,
      [REDOCLY, 'lint', file, '--config', path.join(REPO_ROOT, 'redocly.yaml'), '--format', 'json'],
      { cwd: REPO_ROOT, maxBuffer: 16 * 1024 * 1024 },
    ).catch((error: { stdout: string; stderr: string }) => error);
    const report = JSON.parse(lint.stdout) as { totals: { errors: number; warnings: number }; problems: unknown[] };
    expect(report.totals.errors, JSON.stringify(report.problems, null, 1).slice(0, 4000)).toBe(0);
    expect(report.totals.warnings).toBeLessThanOrEqual(1); // the accepted no-ambiguous-paths (redocly.yaml)
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  }, 60_000);

  it('names operations after what they do', () => {
    expect(operationIdFor('GET', '/v1/runners/sessions/:id/events')).toBe('listSessionEvents');
    expect(operationIdFor('POST', '/v1/runners/sessions')).toBe('createSession');
    expect(operationIdFor('POST', '/v1/runners/sessions/:id/cancel')).toBe('cancelSession');
    expect(operationIdFor('GET', '/api/runners/:id')).toBe('getRunner');
    expect(operationIdFor('POST', '/v1/runners/profiles/:id/harnesses')).toBe('createProfileHarness');
    expect(operationIdFor('PATCH', '/v1/admin/users/:id')).toBe('updateAdminUser');
  });
});
