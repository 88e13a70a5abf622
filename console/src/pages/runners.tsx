import { age, api } from '../api.ts';
import { usePolling } from './live.ts';

interface Runner {
  id: string;
  name: string;
  version: string;
  status: 'online' | 'busy' | 'offline';
  lastHeartbeatAt: string;
  currentJobs: number;
  activeTasks: number;
  maxConcurrency: number;
  tags: string[];
}

/** Stale: no heartbeat for three default intervals (30 s), whatever it last said. */
const STALE_MS = 30_000;

const displayStatus = (runner: Runner) =>
  runner.status !== 'offline' && Date.now() - Date.parse(runner.lastHeartbeatAt) > STALE_MS ? 'stale' : runner.status;

export function RunnersPage() {
  const { data, error } = usePolling(() => api<{ data: Runner[] }>('GET', '/runners'), 2000);
  return (
    <section>
      <h1>Runners</h1>
      {error && <p class="error">{error}</p>}
      {data && data.data.length === 0 && <p class="muted">No runner has registered yet.</p>}
      {data && data.data.length > 0 && (
        <table>
          <thead>
            <tr>
              <th>Id</th>
              <th>Name</th>
              <th>Version</th>
              <th>Status</th>
              <th>Last heartbeat</th>
              <th>Jobs</th>
              <th>Tags</th>
            </tr>
          </thead>
          <tbody>
            {data.data.map((runner) => (
              <tr key={runner.id} data-runner={runner.id}>
                <td>{runner.id}</td>
                <td>{runner.name}</td>
                <td>{runner.version}</td>
                <td>
                  <span class={`badge ${displayStatus(runner)}`}>{displayStatus(runner)}</span>
                </td>
                <td>{age(runner.lastHeartbeatAt)}</td>
                <td>
                  {runner.activeTasks}/{runner.maxConcurrency}
                </td>
                <td>{runner.tags.join(', ') || '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
