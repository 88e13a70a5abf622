import { useState } from 'preact/hooks';
import { age, api, canOperate, duration, type Me } from '../api.ts';
import { Link, navigate } from '../router.tsx';
import { usePolling } from './live.ts';

export interface Session {
  id: string;
  profile_id: string;
  task_id: string | null;
  state: string;
  runner_id: string | null;
  attempt: number;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
}

interface Profile {
  id: string;
  name: string;
  status: string;
}

const STATES = ['pending', 'dispatched', 'running', 'paused', 'cancel_requested', 'succeeded', 'failed', 'cancelled'];

function DispatchForm(props: { profiles: Profile[] }) {
  const [error, setError] = useState('');
  const submit = async (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.target as HTMLFormElement);
    try {
      const input = JSON.parse(String(form.get('input') || '{}'));
      const session = await api<Session>('POST', '/v1/runners/sessions', {
        profile_id: form.get('profile'),
        task_id: form.get('task'),
        input,
      });
      navigate(`/console/sessions/${session.id}`);
    } catch (failure) {
      setError(failure instanceof SyntaxError ? 'input is not valid JSON' : (failure as Error).message);
    }
  };
  return (
    <form class="dispatch" onSubmit={submit} aria-label="Dispatch a session">
      <h2>Dispatch</h2>
      <label>
        Profile
        <select name="profile" required>
          {props.profiles
            .filter((p) => p.status === 'active')
            .map((p) => (
              <option value={p.id} key={p.id}>
                {p.name}
              </option>
            ))}
        </select>
      </label>
      <label>
        Task id
        <input name="task" required />
      </label>
      <label>
        Input (JSON)
        <textarea name="input" rows={3}>
          {'{}'}
        </textarea>
      </label>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <button type="submit">Dispatch</button>
    </form>
  );
}

export function SessionsPage(props: { me: Me }) {
  const [state, setState] = useState('');
  const [profile, setProfile] = useState(new URLSearchParams(location.search).get('profile') ?? '');
  const [cursors, setCursors] = useState<string[]>([]);
  const query = new URLSearchParams({ limit: '25' });
  if (state) query.set('state', state);
  if (profile) query.set('profile_id', profile);
  if (cursors.length) query.set('cursor', cursors.at(-1)!);
  const sessions = usePolling(
    () => api<{ items: Session[]; next_cursor: string | null }>('GET', `/v1/runners/sessions?${query}`),
    2000,
    [query.toString()],
  );
  const profiles = usePolling(() => api<{ items: Profile[] }>('GET', '/v1/runners/profiles?limit=200'), 10_000);
  const names = new Map((profiles.data?.items ?? []).map((p) => [p.id, p.name]));
  return (
    <section>
      <h1>Sessions</h1>
      <div class="filters">
        <label>
          State
          <select
            value={state}
            onChange={(e) => {
              setCursors([]);
              setState((e.target as HTMLSelectElement).value);
            }}
          >
            <option value="">any</option>
            {STATES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <label>
          Profile
          <select
            value={profile}
            onChange={(e) => {
              setCursors([]);
              setProfile((e.target as HTMLSelectElement).value);
            }}
          >
            <option value="">any</option>
            {(profiles.data?.items ?? []).map((p) => (
              <option value={p.id} key={p.id}>
                {p.name}
              </option>
            ))}
          </select>
        </label>
      </div>
      {sessions.error && <p class="error">{sessions.error}</p>}
      <table>
        <thead>
          <tr>
            <th>State</th>
            <th>Profile</th>
            <th>Task</th>
            <th>Runner</th>
            <th>Attempt</th>
            <th>Age</th>
            <th>Duration</th>
          </tr>
        </thead>
        <tbody>
          {(sessions.data?.items ?? []).map((s) => (
            <tr key={s.id} data-session={s.id}>
              <td>
                <Link href={`/console/sessions/${s.id}`}>
                  <span class={`badge ${s.state}`}>{s.state}</span>
                </Link>
              </td>
              <td>{names.get(s.profile_id) ?? s.profile_id}</td>
              <td>{s.task_id ?? '—'}</td>
              <td>{s.runner_id ?? '—'}</td>
              <td>{s.attempt}</td>
              <td>{age(s.created_at)}</td>
              <td>{duration(s.started_at, s.finished_at)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <div class="pager">
        <button type="button" disabled={cursors.length === 0} onClick={() => setCursors(cursors.slice(0, -1))}>
          Newer
        </button>
        <button
          type="button"
          disabled={!sessions.data?.next_cursor}
          onClick={() => setCursors([...cursors, sessions.data!.next_cursor!])}
        >
          Older
        </button>
      </div>
      {canOperate(props.me) && profiles.data && <DispatchForm profiles={profiles.data.items} />}
    </section>
  );
}
