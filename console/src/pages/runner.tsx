// One runner: what it said at registration, its heartbeat, its recent claims; operators can remove a stale one
// (marked offline, its unfinished tasks released to the queue).
import { useState } from 'preact/hooks';
import { api, canOperate, duration, type Me } from '../api.ts';
import { Badge, ConfirmButton, Empty, Notice, Time } from '../components.tsx';
import { Link } from '../router.tsx';
import { usePolling } from './live.ts';
import { displayStatus, type Runner } from './runners.tsx';

interface Claim {
  taskId: string;
  externalTaskId: string | null;
  profileId: string;
  state: string;
  attempt: number;
  claimedAt: string;
  endedAt: string | null;
  outcome: string | null;
}

export function RunnerPage(props: { id: string; me: Me }) {
  const path = `/runners/${encodeURIComponent(props.id)}`;
  const runner = usePolling(() => api<{ data: Runner }>('GET', path), 3000, [props.id]);
  const claims = usePolling(() => api<{ data: Claim[] }>('GET', `${path}/attempts?limit=50`), 5000, [props.id]);
  const [error, setError] = useState('');
  const [message, setMessage] = useState('');
  const remove = async () => {
    try {
      const answer = await api<{ data: { releasedTaskIds: string[] } }>('DELETE', path);
      setMessage(`marked offline; ${answer.data.releasedTaskIds.length} unfinished task(s) went back to the queue`);
      runner.reload();
    } catch (failure) {
      setError((failure as Error).message);
    }
  };
  const r = runner.data?.data;
  return (
    <section>
      <h1>Runner {props.id}</h1>
      <Notice error={runner.error || error}>{message}</Notice>
      {r && (
        <dl class="facts">
          <dt>Status</dt>
          <dd>
            <Badge value={displayStatus(r)} />
          </dd>
          <dt>Name</dt>
          <dd>{r.name}</dd>
          <dt>Version</dt>
          <dd>{r.version}</dd>
          <dt>Tags</dt>
          <dd>{r.tags.join(', ') || '—'}</dd>
          <dt>Tasks</dt>
          <dd>
            {r.activeTasks} of {r.maxConcurrency}
          </dd>
          <dt>Last heartbeat</dt>
          <dd>
            <Time iso={r.lastHeartbeatAt} />
          </dd>
          <dt>This instance registered</dt>
          <dd>
            <Time iso={r.registeredAt} />
          </dd>
        </dl>
      )}
      {r && canOperate(props.me) && r.status !== 'offline' && (
        <ConfirmButton
          label="Remove runner"
          question={`Mark ${r.id} offline and release its unfinished tasks? A live runner would lose them.`}
          confirm="Remove"
          danger
          onConfirm={remove}
        />
      )}
      <h2>Recent claims</h2>
      {claims.data && claims.data.data.length === 0 && <Empty>This runner has claimed nothing yet.</Empty>}
      {claims.data && claims.data.data.length > 0 && (
        <table>
          <thead>
            <tr>
              <th>Task</th>
              <th>Attempt</th>
              <th>Claimed</th>
              <th>Took</th>
              <th>Outcome</th>
              <th>State now</th>
            </tr>
          </thead>
          <tbody>
            {claims.data.data.map((c) => (
              <tr key={`${c.taskId}-${c.attempt}`}>
                <td>
                  <Link href={`/console/sessions/${c.taskId}`}>{c.externalTaskId ?? c.taskId.slice(0, 8)}</Link>
                </td>
                <td>{c.attempt}</td>
                <td>
                  <Time iso={c.claimedAt} />
                </td>
                <td>{duration(c.claimedAt, c.endedAt)}</td>
                <td>{c.outcome ? <Badge value={c.outcome} /> : 'running'}</td>
                <td>
                  <Badge value={c.state} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
