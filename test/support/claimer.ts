// A claimer process for the concurrency proofs: registers N runners against the given servers (round-robin), claims
// until the queue is empty, and prints {"claims": [[taskId, attempt, runnerId], …]} as JSON.
const [key, count, prefix, ...servers] = process.argv.slice(2);
if (!key || !count || !prefix || servers.length === 0) {
  console.error('usage: claimer.ts KEY RUNNERS PREFIX SERVER_URL…');
  process.exit(2);
}

const claims: [string, number, string][] = [];
await Promise.all(
  Array.from({ length: Number(count) }, async (_v, i) => {
    const runnerId = `${prefix}-${i}`;
    const server = servers[i % servers.length]!;
    const headers = { authorization: `Bearer ${key}` };
    const registered = await fetch(`${server}/api/runners/register`, {
      method: 'POST',
      headers: { ...headers, 'x-runner-id': runnerId, 'x-runner-max-concurrency': '1000' },
    });
    if (!registered.ok) throw new Error(`register ${runnerId}: ${registered.status}`);
    for (;;) {
      const reply = await fetch(`${server}/api/runners/tasks/pending?runnerId=${runnerId}&limit=1`, { headers });
      if (!reply.ok) throw new Error(`claim ${runnerId}: ${reply.status} ${await reply.text()}`);
      const { data } = (await reply.json()) as { data: { id: string; attempt: number }[] };
      if (data.length === 0) return;
      for (const task of data) claims.push([task.id, task.attempt, runnerId]);
    }
  }),
);
process.stdout.write(JSON.stringify({ claims }));
