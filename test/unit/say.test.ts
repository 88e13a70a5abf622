// The runner agent's own lines: text for a person by default, one pino JSON object per line with --log-format json.
import { describe, expect, it } from 'vitest';
import { createSay } from '../../src/agent/say.ts';

function written() {
  const chunks: string[] = [];
  return { out: { write: (text: string) => void chunks.push(text) }, text: () => chunks.join('') };
}

describe('the agent log format', () => {
  it('text: an ISO time and the line', () => {
    const sink = written();
    const say = createSay('text', 'r1', sink.out);
    say('task 0a1b2c3d: claimed (attempt 1)', { taskId: '0a1b2c3d-full-id', attempt: 1 });
    expect(sink.text()).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z task 0a1b2c3d: claimed \(attempt 1\)\n$/);
  });

  it('json: one object per line with level, time, msg, the runner id and the task’s full id and attempt', () => {
    const sink = written();
    const say = createSay('json', 'r1', sink.out);
    say('runner r1 registered');
    say('task 0a1b2c3d: claimed (attempt 2)', { taskId: '0a1b2c3d-full-id', attempt: 2 });
    const lines = sink
      .text()
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({
      level: 30,
      time: expect.any(Number),
      runnerId: 'r1',
      msg: 'runner r1 registered',
    });
    expect(lines[0]).not.toHaveProperty('taskId');
    expect(lines[1]).toMatchObject({
      level: 30,
      runnerId: 'r1',
      taskId: '0a1b2c3d-full-id',
      attempt: 2,
      msg: 'task 0a1b2c3d: claimed (attempt 2)',
    });
  });
});
