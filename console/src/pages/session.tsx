import { useEffect, useRef, useState } from 'preact/hooks';
import { api, canApprove, canOperate, duration, type Me } from '../api.ts';
import { Badge, ConfirmButton, Empty, Json, Notice, Time } from '../components.tsx';
import { Link, navigate } from '../router.tsx';
import type { PermissionRequest } from './approvals.tsx';
import { usePolling } from './live.ts';

interface Budgets {
  max_wall_seconds?: number;
  max_tokens?: number;
  max_cost_usd?: number;
}

interface SessionDetail {
  id: string;
  profile_id: string;
  task_id: string | null;
  state: string;
  runner_id: string | null;
  attempt: number;
  max_attempts: number;
  input: unknown;
  result: unknown;
  error: string | null;
  failure_reason: string | null;
  progress: number | null;
  phase: string | null;
  required_tags: string[];
  harness_revision: { version: string; image_ref: string } | null;
  latest_checkpoint: { seq: number; data: unknown; created_at: string } | null;
  policy_version: number | null;
  replay_of: string | null;
  replays: string[];
  pause_requested: boolean;
  pause_reason: string | null;
  budget: Budgets;
  usage: { tokens: number; cost_usd: number };
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
}

interface Attempt {
  attempt: number;
  runner_id: string;
  claimed_at: string;
  ended_at: string | null;
  outcome: string | null;
}

interface Artifact {
  id: string;
  name: string;
  size: number;
  sha256: string;
  content_type: string;
  created_at: string;
}

interface Grant {
  id: string;
  scope: string;
  resource: string | null;
  reason: string;
  status: string;
  expires_at: string;
}

const bytes = (n: number) =>
  n < 1024 ? `${n} B` : n < 1024 ** 2 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1024 ** 2).toFixed(1)} MiB`;

interface LogEvent {
  seq: number;
  type: string;
  level: string;
  message: string;
  data?: unknown;
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
    // Every event arrives unnamed (`message`) with its type in the data, custom types included.
    source.onmessage = (message: MessageEvent) => {
      pending.push(JSON.parse(message.data) as LogEvent);
      frame ||= requestAnimationFrame(flush);
    };
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
  const base = `/v1/runners/sessions/${props.id}`;
  const session = usePolling(() => api<SessionDetail>('GET', base), 2000, [props.id]);
  const attempts = usePolling(() => api<{ items: Attempt[] }>('GET', `${base}/attempts`), 5000, [props.id]);
  const artifacts = usePolling(() => api<{ items: Artifact[] }>('GET', `${base}/artifacts`), 5000, [props.id]);
  const grants = usePolling(() => api<{ items: Grant[] }>('GET', `${base}/permissions`), 5000, [props.id]);
  const profileId = session.data?.profile_id;
  const profile = usePolling(
    () => (profileId ? api<{ name: string }>('GET', `/v1/runners/profiles/${profileId}`) : Promise.resolve(null)),
    60_000,
    [profileId],
  );
  const requests = usePolling(
    () => api<{ items: PermissionRequest[] }>('GET', `${base}/permission-requests?limit=200`),
    3000,
    [props.id],
  );
  const policyVersion = session.data?.policy_version;
  const policy = usePolling(
    () =>
      profileId && policyVersion
        ? api<{ versions: { version: number; budgets: Budgets }[] }>('GET', `/v1/runners/profiles/${profileId}/policy`)
        : Promise.resolve(null),
    60_000,
    [profileId, policyVersion],
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
  // A state change or an artifact in the stream refreshes the page at once instead of at the next poll.
  const stateChanges = events.filter((e) => e.type === 'state').length;
  const artifactEvents = events.filter((e) => e.type === 'artifact').length;
  useEffect(() => {
    if (stateChanges > 0) {
      session.reload();
      attempts.reload();
    }
  }, [stateChanges]);
  useEffect(() => {
    if (artifactEvents > 0) artifacts.reload();
  }, [artifactEvents]);
  const act = async (action: 'cancel' | 'resume') => {
    try {
      await api('POST', `${base}/${action}`);
      session.reload();
    } catch (failure) {
      setError((failure as Error).message);
    }
  };
  const replay = async () => {
    try {
      const made = await api<{ id: string }>('POST', `${base}/replay`);
      navigate(`/console/sessions/${made.id}`);
    } catch (failure) {
      setError((failure as Error).message);
    }
  };
  const raise = async (budget: Budgets) => {
    try {
      await api('PATCH', base, { budget });
      session.reload();
    } catch (failure) {
      setError((failure as Error).message);
    }
  };
  const revoke = async (grantId: string) => {
    try {
      await api('DELETE', `${base}/permissions/${grantId}`);
      grants.reload();
    } catch (failure) {
      setError((failure as Error).message);
    }
  };
  const s = session.data;
  const operator = canOperate(props.me);
  const pinned = policy.data?.versions.find((v) => v.version === policyVersion)?.budgets ?? {};
  const budget: Budgets = { ...pinned, ...(s?.budget ?? {}) };
  const timeline = events.filter((e) => e.type === 'state' || e.type === 'phase');
  return (
    <section>
      <h1>Session {s?.task_id ?? props.id.slice(0, 8)}</h1>
      <Notice error={session.error || error} />
      {s && (
        <div class="summary">
          <span data-testid="state">
            <Badge value={s.state} />
          </span>
          <span>
            profile <Link href={`/console/profiles/${s.profile_id}`}>{profile.data?.name ?? s.profile_id}</Link>
            {s.harness_revision ? ` @ ${s.harness_revision.version}` : ''}
          </span>
          <span>
            runner{' '}
            {s.runner_id ? (
              <Link href={`/console/runners/${encodeURIComponent(s.runner_id)}`}>{s.runner_id}</Link>
            ) : (
              '—'
            )}
          </span>
          <span>
            attempt {s.attempt} of {s.max_attempts}
          </span>
          {s.phase && <span>phase {s.phase}</span>}
          {s.progress !== null && <span>progress {Math.round(s.progress * 100)}%</span>}
          <span>
            created <Time iso={s.created_at} />
          </span>
          {s.started_at && <span>ran {duration(s.started_at, s.finished_at)}</span>}
          {operator && ['pending', 'dispatched', 'running', 'paused'].includes(s.state) && (
            <ConfirmButton
              label="Cancel"
              question={`Cancel this session? ${s.runner_id ? 'Its runner is told to stop.' : 'It will not run.'}`}
              confirm="Cancel session"
              danger
              onConfirm={() => act('cancel')}
            />
          )}
          {operator && (s.state === 'paused' || (s.state === 'failed' && s.latest_checkpoint)) && (
            <button type="button" onClick={() => act('resume')}>
              Resume
            </button>
          )}
          {operator && (
            <button type="button" onClick={replay} data-testid="replay">
              Replay
            </button>
          )}
          {s.replay_of && (
            <span>
              replays <Link href={`/console/sessions/${s.replay_of}`}>{s.replay_of.slice(0, 12)}</Link>
            </span>
          )}
          {s.replays.length > 0 && (
            <span>
              replayed by{' '}
              {s.replays.map((id) => (
                <Link key={id} href={`/console/sessions/${id}`}>
                  {id.slice(0, 12)}{' '}
                </Link>
              ))}
            </span>
          )}
        </div>
      )}
      {s && <Usage session={s} budget={budget} approver={canApprove(props.me)} onRaise={raise} />}
      {s && (s.error || s.failure_reason) && (
        <p class="error" data-testid="failure">
          {s.failure_reason && <strong>{s.failure_reason}: </strong>}
          {s.error}
        </p>
      )}
      {s?.state === 'pending' && why.data && (
        <p class="why" data-testid="why-pending">
          Why pending: {why.data.message}
        </p>
      )}
      <div class="columns">
        <div>
          {s && <Json label="Input" value={s.input} testId="input" />}
          {s && s.result !== null && <Json label="Result" value={s.result} testId="result" />}
          {s && s.result === null && ['succeeded', 'failed', 'cancelled'].includes(s.state) && (
            <Empty>No result.</Empty>
          )}
          <h2>Attempts</h2>
          {attempts.data && attempts.data.items.length === 0 && <Empty>Not claimed yet.</Empty>}
          {attempts.data && attempts.data.items.length > 0 && (
            <table data-testid="attempts">
              <thead>
                <tr>
                  <th>#</th>
                  <th>Runner</th>
                  <th>Start</th>
                  <th>End</th>
                  <th>Outcome</th>
                </tr>
              </thead>
              <tbody>
                {attempts.data.items.map((a) => (
                  <tr key={a.attempt}>
                    <td>{a.attempt}</td>
                    <td>{a.runner_id}</td>
                    <td>
                      <Time iso={a.claimed_at} />
                    </td>
                    <td>{a.ended_at ? <Time iso={a.ended_at} /> : '—'}</td>
                    <td>{a.outcome ? <Badge value={a.outcome} /> : 'running'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <h2>Timeline</h2>
          {timeline.length === 0 && <Empty>No state changes yet.</Empty>}
          <ol class="timeline">
            {timeline.map((e) => (
              <li key={e.seq}>
                <Time iso={e.ts} /> {e.type === 'phase' ? `phase ${e.message}` : e.message}
              </li>
            ))}
          </ol>
          <h2>Checkpoint</h2>
          {s?.latest_checkpoint ? (
            <Json label={`#${s.latest_checkpoint.seq}`} value={s.latest_checkpoint.data} />
          ) : (
            <Empty>No checkpoint yet.</Empty>
          )}
          <h2>Artifacts</h2>
          {artifacts.data && artifacts.data.items.length === 0 && <Empty>No artifacts yet.</Empty>}
          <ul data-testid="artifacts">
            {(artifacts.data?.items ?? []).map((a) => (
              <li key={a.id}>
                <a href={`/console/api${base}/artifacts/${a.id}/content`}>{a.name}</a> · {bytes(a.size)} ·{' '}
                <code title="SHA-256">{a.sha256}</code>
              </li>
            ))}
          </ul>
          <h2>Permission requests</h2>
          {requests.data && requests.data.items.length === 0 && <Empty>No permission requests.</Empty>}
          <ul data-testid="permission-requests">
            {(requests.data?.items ?? []).map((r) => (
              <li key={r.id}>
                <strong>{r.scope}</strong> on <code>{r.resource}</code> · <Badge value={r.state} />
                {r.decided_by ? ` by ${r.decided_by}` : ''}
                {r.note ? ` · “${r.note}”` : ''} · asked <Time iso={r.created_at} /> · {r.reason}
                {r.state === 'pending' && (
                  <>
                    {' '}
                    · <Link href="/console/approvals">decide</Link>
                  </>
                )}
              </li>
            ))}
          </ul>
          <h2>Permission grants</h2>
          {grants.data && grants.data.items.length === 0 && <Empty>No grants.</Empty>}
          <ul>
            {(grants.data?.items ?? []).map((g) => (
              <li key={g.id}>
                <strong>{g.scope}</strong>
                {g.resource ? ` on ${g.resource}` : ''} · <Badge value={g.status} /> · expires{' '}
                <Time iso={g.expires_at} />
                {g.reason ? ` · ${g.reason}` : ''}{' '}
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
            {events.length === 0 && <div class="muted">No events yet.</div>}
            {events.map((e) => (
              <div key={e.seq} class={`line ${e.level}`} data-type={e.type}>
                <span class="seq">{e.seq}</span> {e.type === 'log' ? e.message : `[${e.type}] `}
                {e.type !== 'log' &&
                  (e.message || (e.data !== undefined && e.data !== null ? JSON.stringify(e.data) : ''))}
              </div>
            ))}
          </section>
        </div>
      </div>
    </section>
  );
}

/** What the session spent against its budget (its own limits over its pinned policy's); approvers raise them. */
function Usage(props: { session: SessionDetail; budget: Budgets; approver: boolean; onRaise: (b: Budgets) => void }) {
  const { session, budget } = props;
  const [tokens, setTokens] = useState('');
  const limited = Object.keys(budget).length > 0;
  if (!limited && session.usage.tokens === 0 && session.usage.cost_usd === 0) return null;
  return (
    <p class="usage" data-testid="usage">
      Usage: {session.usage.tokens} tokens{budget.max_tokens !== undefined ? ` of ${budget.max_tokens}` : ''} · $
      {session.usage.cost_usd.toFixed(2)}
      {budget.max_cost_usd !== undefined ? ` of $${budget.max_cost_usd}` : ''}
      {budget.max_wall_seconds !== undefined ? ` · wall time limit ${budget.max_wall_seconds} s` : ''}
      {session.pause_requested && <strong> · pause requested ({session.pause_reason})</strong>}
      {session.state === 'paused' && session.pause_reason && <strong> · paused: {session.pause_reason}</strong>}
      {props.approver && !['succeeded', 'failed', 'cancelled'].includes(session.state) && (
        <span class="raise">
          {' '}
          <input
            type="number"
            min="1"
            placeholder="new max tokens"
            aria-label="New max tokens"
            value={tokens}
            onInput={(e) => setTokens(e.currentTarget.value)}
          />
          <button type="button" disabled={!tokens} onClick={() => props.onRaise({ max_tokens: Number(tokens) })}>
            Raise budget
          </button>
        </span>
      )}
    </p>
  );
}
