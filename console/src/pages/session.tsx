import { useEffect, useRef, useState } from 'preact/hooks';
import { age, api, canOperate, type Me } from '../api.ts';
import { usePolling } from './live.ts';

interface SessionDetail {
  id: string;
  profile_id: string;
  task_id: string | null;
  state: string;
  runner_id: string | null;
  attempt: number;
  error: string | null;
  progress: number | null;
  latest_checkpoint: { seq: number; data: unknown; created_at: string } | null;
  created_at: string;
}

interface LogEvent {
  seq: number;
  type: string;
  level: string;
  message: string;
  ts: string;
}

/** Shown lines are capped so a session with many thousands stays responsive. */
const MAX_SHOWN = 2000;

/** Follows the session's events over SSE (resuming after a drop), batching updates per animation frame. */
function useEventStream(id: string) {
  const [events, setEvents] = useState<LogEvent[]>([]);
  useEffect(() => {
    let pending: LogEvent[] = [];
    let frame = 0;
    const source = new EventSource(`/console/api/v1/runners/sessions/${id}/events/stream`);
    const flush = () => {
      frame = 0;
      const batch = pending;
      pending = [];
      setEvents((current) => [...current, ...batch].slice(-MAX_SHOWN));
    };
    source.onmessage = () => {};
    const onEvent = (message: MessageEvent) => {
      pending.push(JSON.parse(message.data) as LogEvent);
      frame ||= requestAnimationFrame(flush);
    };
    for (const type of ['state', 'phase', 'log', 'checkpoint', 'artifact', 'step', 'message'])
      source.addEventListener(type, onEvent);
    source.onmessage = onEvent;
    source.onerror = () => {
      // The server ends the stream after the terminal event; do not reconnect then.
      if (source.readyState === EventSource.CLOSED) return;
    };
    return () => {
      source.close();
      cancelAnimationFrame(frame);
    };
  }, [id]);
  return events;
}

export function SessionPage(props: { id: string; me: Me }) {
  const session = usePolling(() => api<SessionDetail>('GET', `/v1/runners/sessions/${props.id}`), 2000, [props.id]);
  const artifacts = usePolling(
    () =>
      api<{ items: { id: string; name: string; size: number }[] }>('GET', `/v1/runners/sessions/${props.id}/artifacts`),
    5000,
    [props.id],
  );
  const grants = usePolling(
    () =>
      api<{ items: { id: string; scope: string; status: string; expires_at: string }[] }>(
        'GET',
        `/v1/runners/sessions/${props.id}/permissions`,
      ),
    5000,
    [props.id],
  );
  const why = usePolling(
    () => api<{ reason: string; message: string }>('GET', `/sessions/${props.id}/why-pending`),
    3000,
    [props.id],
  );
  const events = useEventStream(props.id);
  const tail = useRef<HTMLElement>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    const element = tail.current;
    if (element) element.scrollTop = element.scrollHeight;
  }, [events.length]);
  // A state change in the stream refreshes the summary at once instead of at the next poll.
  const stateChanges = events.filter((e) => e.type === 'state').length;
  useEffect(() => {
    if (stateChanges > 0) session.reload();
  }, [stateChanges]);
  const act = async (action: 'cancel' | 'resume') => {
    try {
      await api('POST', `/v1/runners/sessions/${props.id}/${action}`);
      session.reload();
    } catch (failure) {
      setError((failure as Error).message);
    }
  };
  const revoke = async (grantId: string) => {
    await api('DELETE', `/v1/runners/sessions/${props.id}/permissions/${grantId}`);
    grants.reload();
  };
  const s = session.data;
  const operator = canOperate(props.me);
  const timeline = events.filter((e) => e.type === 'state' || e.type === 'phase');
  return (
    <section>
      <h1>Session {props.id.slice(0, 8)}</h1>
      {session.error && <p class="error">{session.error}</p>}
      {s && (
        <div class="summary">
          <span class={`badge ${s.state}`} data-testid="state">
            {s.state}
          </span>
          <span>profile {s.profile_id}</span>
          <span>task {s.task_id ?? '—'}</span>
          <span>runner {s.runner_id ?? '—'}</span>
          <span>attempt {s.attempt}</span>
          {s.progress !== null && <span>progress {Math.round(s.progress * 100)}%</span>}
          {s.error && <span class="error">{s.error}</span>}
          {operator && ['pending', 'dispatched', 'running', 'paused'].includes(s.state) && (
            <button type="button" onClick={() => act('cancel')}>
              Cancel
            </button>
          )}
          {operator && (s.state === 'paused' || (s.state === 'failed' && s.latest_checkpoint)) && (
            <button type="button" onClick={() => act('resume')}>
              Resume
            </button>
          )}
        </div>
      )}
      {error && <p class="error">{error}</p>}
      {s?.state === 'pending' && why.data && (
        <p class="why" data-testid="why-pending">
          Why pending: {why.data.message}
        </p>
      )}
      <div class="columns">
        <div>
          <h2>Timeline</h2>
          <ol class="timeline">
            {timeline.map((e) => (
              <li key={e.seq}>
                <time title={e.ts}>{age(e.ts)}</time> {e.type === 'phase' ? `phase ${e.message}` : e.message}
              </li>
            ))}
          </ol>
          <h2>Checkpoint</h2>
          {s?.latest_checkpoint ? (
            <pre>
              #{s.latest_checkpoint.seq} {JSON.stringify(s.latest_checkpoint.data)}
            </pre>
          ) : (
            <p class="muted">None.</p>
          )}
          <h2>Artifacts</h2>
          <ul>
            {(artifacts.data?.items ?? []).map((a) => (
              <li key={a.id}>
                <a href={`/console/api/v1/runners/sessions/${props.id}/artifacts/${a.id}/content`}>{a.name}</a> (
                {a.size} bytes)
              </li>
            ))}
          </ul>
          <h2>Permission grants</h2>
          <ul>
            {(grants.data?.items ?? []).map((g) => (
              <li key={g.id}>
                {g.scope} · {g.status} · expires {g.expires_at}{' '}
                {operator && g.status === 'active' && (
                  <button type="button" onClick={() => revoke(g.id)}>
                    Revoke
                  </button>
                )}
              </li>
            ))}
          </ul>
        </div>
        <div>
          <h2>Events</h2>
          <section class="tail" ref={tail} data-testid="log-tail" aria-label="Event log" role="log">
            {events.map((e) => (
              <div key={e.seq} class={`line ${e.level}`}>
                <span class="seq">{e.seq}</span> {e.type === 'log' ? e.message : `[${e.type}] ${e.message}`}
              </div>
            ))}
          </section>
        </div>
      </div>
    </section>
  );
}
