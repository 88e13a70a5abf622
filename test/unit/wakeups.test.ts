import { describe, expect, it } from 'vitest';
import { fingerprint } from '../../src/core/canonical-json.ts';
import { Wakeups } from '../../src/core/wakeups.ts';

describe('Wakeups', () => {
  it('a notification between subscribe and wait is not lost', async () => {
    const wakeups = new Wakeups();
    const subscription = wakeups.subscribe('org');
    wakeups.notify('org');
    let resolved = false;
    await Promise.race([
      subscription.wait(60_000).then(() => {
        resolved = true;
      }),
      new Promise((resolve) => setTimeout(resolve, 1000)),
    ]);
    expect(resolved).toBe(true);
  });

  it('wakes only the notified org, and an abort ends the wait', async () => {
    const wakeups = new Wakeups();
    const other = wakeups.subscribe('other');
    wakeups.notify('org');
    const abort = new AbortController();
    const waiting = other.wait(60_000, abort.signal).then(() => 'ended');
    const raced = await Promise.race([
      waiting,
      new Promise((resolve) => setTimeout(() => resolve('still waiting'), 50)),
    ]);
    expect(raced).toBe('still waiting');
    abort.abort();
    expect(await waiting).toBe('ended');
  });
});

describe('fingerprint', () => {
  it('ignores key order but not values', () => {
    expect(fingerprint({ a: 1, b: [1, { c: 2, d: 3 }] })).toBe(fingerprint({ b: [1, { d: 3, c: 2 }], a: 1 }));
    expect(fingerprint({ a: 1 })).not.toBe(fingerprint({ a: 2 }));
    expect(fingerprint([1, 2])).not.toBe(fingerprint([2, 1]));
  });
});
