import { api } from '../api.ts';
import { Badge, Empty, Notice, Time } from '../components.tsx';
import { Link } from '../router.tsx';
import { usePolling } from './live.ts';

export interface Runner {
  id: string;
  name: string;
  version: string;
  status: 'online' | 'busy' | 'offline';
  lastHeartbeatAt: string;
  currentJobs: number;
  activeTasks: number;
  maxConcurrency: number;
  tags: string[];
  registeredAt: string;
}

/** Stale: no heartbeat for three default intervals (30 s), whatever it last said. */
const STALE_MS = 30_000;

export const displayStatus = (runner: Runner) =>
  runner.status !== 'offline' && Date.now() - Date.parse(runner.lastHeartbeatAt) > STALE_MS ? 'stale' : runner.status;

export function RunnersPage() {
  const { data, error } = usePolling(() => api<{ data: Runner[] }>('GET', '/runners'), 2000);
  return (
    <section>
      <h1>Runners</h1>
      <Notice error={error} />
      {data && data.data.length === 0 && (
        <Empty>
          No runner has registered yet. Create a runner key under Keys, then run{' '}
          <code>RUNPLANE_API_KEY=rp_… npm run runplane -- runner --server {location.origin}</code>.
        </Empty>
      )}
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
                <td>
                  <Link href={`/console/runners/${encodeURIComponent(runner.id)}`}>{runner.id}</Link>
                </td>
                <td>{runner.name}</td>
                <td>{runner.version}</td>
                <td>
                  <Badge value={displayStatus(runner)} />
                </td>
                <td>
                  <Time iso={runner.lastHeartbeatAt} />
                </td>
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
