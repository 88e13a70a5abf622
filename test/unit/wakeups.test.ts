import { describe, expect, it } from 'vitest';
import { fingerprint } from '../../src/core/canonical-json.ts';
import { Wakeups } from '../../src/core/wakeups.ts';

const any = (orgId: string) => ({ orgId, profileIds: null, tags: null });
const work = (profileId: string | null, requiredTags: string[] = []) => ({ orgId: 'org', profileId, requiredTags });

/** Whether the subscription's wait ends within 50 ms (a wake-up) or not. */
async function woken(subscription: { wait(ms: number): Promise<unknown> }): Promise<boolean> {
  return Promise.race([
    subscription.wait(60_000).then(() => true),
    new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 50)),
  ]);
}

describe('Wakeups', () => {
  it('work wakes one waiter that can take it, the longest waiting first, not the herd', async () => {
    const wakeups = new Wakeups();
    const first = wakeups.subscribe(any('org'));
    const second = wakeups.subscribe(any('org'));
    expect(wakeups.notifyWork(work('p1'))).toBe(true);
    expect(await woken(first)).toBe(true);
    expect(await woken(second)).toBe(false);
    expect(wakeups.size).toBe(1);
  });

  it('work needing a profile or tags a waiter lacks passes it by', async () => {
    const wakeups = new Wakeups();
    const gpuless = wakeups.subscribe({ orgId: 'org', profileIds: null, tags: ['linux'] });
    const otherProfile = wakeups.subscribe({ orgId: 'org', profileIds: ['p2'], tags: ['gpu', 'linux'] });
    const able = wakeups.subscribe({ orgId: 'org', profileIds: ['p1', 'p2'], tags: ['gpu', 'linux'] });
    expect(wakeups.notifyWork(work('p1', ['gpu']))).toBe(true);
    expect(await woken(able)).toBe(true);
    expect(await woken(gpuless)).toBe(false);
    expect(await woken(otherProfile)).toBe(false);
    expect(wakeups.notifyWork(work('p3', ['gpu']))).toBe(false);
    wakeups.wakeAll();
    expect(await woken(gpuless)).toBe(true);
    expect(await woken(otherProfile)).toBe(true);
  });

  it('a notification between subscribe and wait is not lost', async () => {
    const wakeups = new Wakeups();
    const subscription = wakeups.subscribe(any('org'));
    wakeups.notifyWork(work(null));
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
    const other = wakeups.subscribe(any('other'));
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
