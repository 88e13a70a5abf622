// `runplane runner --log-format`: the agent's own lines as text (the default) or as JSON objects, one per line, on
// stdout; a format it does not know is refused. The runner here has no server to reach, so it says so and retries.
import { describe, expect, it } from 'vitest';
import { freePort } from '../support/postgres-cluster.ts';
import { runCli, startRunnerProcess } from '../support/processes.ts';

const runnerArgs = async () => [
  '--server',
  `http://127.0.0.1:${await freePort()}`,
  '--reviewer-command',
  'cat',
  '--id',
  'log-format-runner',
];

describe('runplane runner --log-format', () => {
  it('json prints parseable JSON lines with level, time, msg and the runner id; text stays the default', async () => {
    const json = startRunnerProcess([...(await runnerArgs()), '--log-format', 'json'], { RUNPLANE_API_KEY: 'rp_x' });
    const text = startRunnerProcess(await runnerArgs(), { RUNPLANE_API_KEY: 'rp_x' });
    try {
      await Promise.all([json.waitFor('unreachable'), text.waitFor('unreachable')]);
    } finally {
      await Promise.all([json.kill9(), text.kill9()]);
    }
    const lines = json.output().trimEnd().split('\n');
    for (const line of lines) {
      expect(JSON.parse(line)).toMatchObject({
        level: 30,
        time: expect.any(Number),
        runnerId: 'log-format-runner',
        msg: expect.any(String),
      });
    }
    expect(lines.map((line) => JSON.parse(line).msg).join('\n')).toContain('unreachable');
    expect(text.output()).toMatch(/^\d{4}-\d{2}-\d{2}T[\d:.]+Z server http:\/\/127\.0\.0\.1:\d+ unreachable/m);
  }, 60_000);

  it('RUNPLANE_LOG_FORMAT is the flag’s twin; an unknown format is refused', async () => {
    const refused = await runCli(['runner', ...(await runnerArgs())], {
      RUNPLANE_API_KEY: 'rp_x',
      RUNPLANE_LOG_FORMAT: 'xml',
    });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('xml');
    expect(refused.stderr).toMatch(/text, json/);
  }, 60_000);
});
