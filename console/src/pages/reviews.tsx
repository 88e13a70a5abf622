// Reviews: a paged, filtered list, and one review with its repository, commit, logs, linked session and delivery.
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.ts';
import { Badge, Empty, Notice, Pager, Time, useCursors } from '../components.tsx';
import { Link } from '../router.tsx';
import { usePolling } from './live.ts';

interface Review {
  id: string;
  taskId: string;
  status: string;
  phase: string | null;
  repositoryUrl: string;
  branch: string;
  commitSha: string;
  rating: string | null;
  totalComments: number | null;
  delivery: string | null;
  deliveryError: string | null;
  error: string | null;
  failureReason: string | null;
  runnerId: string | null;
  createdAt: string;
  finishedAt: string | null;
  files: { path: string; comments: { line: number; severity: string; body: string }[] }[];
  pullRequest: { provider: string; repository: string; number: number } | null;
}

const STATUSES = ['pending', 'dispatched', 'running', 'succeeded', 'failed', 'cancelled'];

/** Where a delivered review can be read: the pull request it was posted on (github.com and gitlab.com). */
function pullRequestUrl(pr: NonNullable<Review['pullRequest']>): string | null {
  if (pr.provider === 'github') return `https://github.com/${pr.repository}/pull/${pr.number}`;
  if (pr.provider === 'gitlab') return `https://gitlab.com/${pr.repository}/-/merge_requests/${pr.number}`;
  return null;
}

export function ReviewsPage() {
  const [status, setStatus] = useState('');
  const pager = useCursors([status]);
  const query = new URLSearchParams({ limit: '25' });
  if (status) query.set('status', status);
  if (pager.current) query.set('cursor', pager.current);
  const { data, error } = usePolling(
    () => api<{ data: Review[]; nextCursor: string | null }>('GET', `/reviews?${query}`),
    3000,
    [query.toString()],
  );
  return (
    <section>
      <h1>Reviews</h1>
      <div class="filters">
        <label>
          Status
          <select value={status} onChange={(e) => setStatus((e.target as HTMLSelectElement).value)}>
            <option value="">any</option>
            {STATUSES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
      </div>
      <Notice error={error} />
      {data && data.data.length === 0 && (
        <Empty>No reviews{status ? ` ${status}` : ''} yet. POST /api/reviews or connect GitHub to start one.</Empty>
      )}
      {data && data.data.length > 0 && (
        <table>
          <thead>
            <tr>
              <th>Status</th>
              <th>Repository</th>
              <th>Rating</th>
              <th>Comments</th>
              <th>Delivery</th>
              <th>Age</th>
            </tr>
          </thead>
          <tbody>
            {data.data.map((r) => (
              <tr key={r.id} data-review={r.id}>
                <td>
                  <Link href={`/console/reviews/${r.id}`}>
                    <Badge value={r.status} />
                  </Link>
                </td>
                <td>
                  {r.pullRequest ? `${r.pullRequest.repository}#${r.pullRequest.number}` : r.repositoryUrl} ({r.branch})
                </td>
                <td>{r.rating ?? '—'}</td>
                <td>{r.totalComments ?? '—'}</td>
                <td>{r.delivery ?? '—'}</td>
                <td>
                  <Time iso={r.createdAt} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager pager={pager} next={data?.nextCursor} />
    </section>
  );
}

interface LogLine {
  seq: number;
  line: string;
  ts: string;
}

/** Lines shown are capped so a long log stays responsive. */
const MAX_LOG_LINES = 5000;

/** A task's log lines, read on from the last one seen every few seconds (never the whole log again). */
function useLogLines(taskId: string | undefined): LogLine[] {
  const [lines, setLines] = useState<LogLine[]>([]);
  useEffect(() => {
    if (!taskId) return;
    let stopped = false;
    let after = 0;
    setLines([]);
    const read = async () => {
      for (;;) {
        const page = await api<{ data: LogLine[]; nextAfter: number }>(
          'GET',
          `/runners/tasks/${taskId}/logs?after=${after}&limit=1000`,
        );
        if (stopped) return;
        after = page.nextAfter;
        if (page.data.length) setLines((current) => [...current, ...page.data].slice(-MAX_LOG_LINES));
        if (page.data.length < 1000) return;
      }
    };
    // One read at a time: two would append the same lines.
    let reading = false;
    const tick = () => {
      if (reading) return;
      reading = true;
      void read()
        .catch(() => {})
        .finally(() => {
          reading = false;
        });
    };
    tick();
    const timer = setInterval(tick, 3000);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [taskId]);
  return lines;
}

export function ReviewPage(props: { id: string }) {
  const { data, error } = usePolling(() => api<{ data: Review }>('GET', `/reviews/${props.id}`), 3000, [props.id]);
  const r = data?.data;
  const logs = useLogLines(r?.taskId);
  const prUrl = r?.pullRequest ? pullRequestUrl(r.pullRequest) : null;
  return (
    <section>
      <h1>Review {props.id.slice(0, 8)}</h1>
      <Notice error={error} />
      {r && (
        <>
          <dl class="facts">
            <dt>Status</dt>
            <dd>
              <Badge value={r.status} />
              {r.phase ? ` (${r.phase})` : ''}
            </dd>
            <dt>Repository</dt>
            <dd>{r.repositoryUrl}</dd>
            <dt>Branch</dt>
            <dd>{r.branch}</dd>
            <dt>Commit</dt>
            <dd>
              <code>{r.commitSha}</code>
            </dd>
            <dt>Session</dt>
            <dd>
              <Link href={`/console/sessions/${r.taskId}`}>{r.taskId}</Link>
            </dd>
            <dt>Runner</dt>
            <dd>{r.runnerId ?? '—'}</dd>
            <dt>Rating</dt>
            <dd>
              {r.rating ?? '—'} · {r.totalComments ?? 0} comment(s)
            </dd>
            <dt>Delivery</dt>
            <dd data-testid="delivery">
              {r.delivery ? <Badge value={r.delivery} /> : '—'}
              {r.deliveryError ? ` ${r.deliveryError}` : ''}
              {r.pullRequest && (
                <>
                  {' '}
                  on{' '}
                  {prUrl ? (
                    <a href={prUrl} rel="noreferrer">
                      {r.pullRequest.repository}#{r.pullRequest.number}
                    </a>
                  ) : (
                    `${r.pullRequest.repository}#${r.pullRequest.number}`
                  )}
                </>
              )}
            </dd>
            <dt>Created</dt>
            <dd>
              <Time iso={r.createdAt} />
            </dd>
          </dl>
          {(r.error || r.failureReason) && (
            <p class="error">
              {r.failureReason && <strong>{r.failureReason}: </strong>}
              {r.error}
            </p>
          )}
          <h2>Comments</h2>
          {r.files.length === 0 && <Empty>No comments.</Empty>}
          {r.files.map((file) => (
            <div key={file.path} class="file">
              <h3>{file.path}</h3>
              <ul>
                {file.comments.map((c) => (
                  <li key={`${c.line}-${c.body}`}>
                    <Badge value={c.severity} /> line {c.line}: {c.body}
                  </li>
                ))}
              </ul>
            </div>
          ))}
          <h2>Logs</h2>
          {logs.length === 0 && <Empty>No log lines yet.</Empty>}
          {logs.length > 0 && (
            <section class="tail short" role="log" aria-label="Review logs">
              {logs.map((line) => (
                <div key={line.seq} class="line">
                  <span class="seq">{line.seq}</span> {line.line}
                </div>
              ))}
            </section>
          )}
        </>
      )}
    </section>
  );
}
