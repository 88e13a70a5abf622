// Approvals (issue 16): the org's pending permission requests, oldest first, kept current; an approver (or admin)
// approves one with a grant lifetime or denies it with a note. Everyone who can read sees the queue.
import { useState } from 'preact/hooks';
import { api, canApprove, type Me } from '../api.ts';
import { Empty, Notice, Time } from '../components.tsx';
import { Link } from '../router.tsx';
import { usePolling } from './live.ts';

export interface PermissionRequest {
  id: string;
  session_id: string;
  attempt: number;
  runner_id: string | null;
  scope: string;
  resource: string;
  reason: string;
  ttl_seconds: number;
  state: 'pending' | 'approved' | 'denied' | 'expired';
  decided_by: string | null;
  note: string | null;
  grant_expires_at: string | null;
  created_at: string;
  expires_at: string;
  decided_at: string | null;
}

/** The pending requests of the org (the header's badge reads the same list). */
export const loadPending = () =>
  api<{ items: PermissionRequest[] }>('GET', '/v1/runners/permission-requests?state=pending&limit=200');

function Decision(props: { request: PermissionRequest; onDone: () => void }) {
  const [ttl, setTtl] = useState(String(props.request.ttl_seconds));
  const [note, setNote] = useState('');
  const [error, setError] = useState('');
  const decide = async (verb: 'approve' | 'deny') => {
    try {
      const body =
        verb === 'approve' ? { ttl_seconds: Number(ttl), ...(note ? { note } : {}) } : { ...(note ? { note } : {}) };
      await api('POST', `/v1/runners/permission-requests/${props.request.id}/${verb}`, body);
      props.onDone();
    } catch (failure) {
      setError((failure as Error).message);
    }
  };
  return (
    <div class="decision">
      <label>
        TTL (s){' '}
        <input
          type="number"
          min="1"
          max="86400"
          value={ttl}
          aria-label="Grant lifetime in seconds"
          onInput={(e) => setTtl(e.currentTarget.value)}
        />
      </label>
      <input
        placeholder="note (optional)"
        aria-label="Note"
        value={note}
        maxLength={1024}
        onInput={(e) => setNote(e.currentTarget.value)}
      />
      <button type="button" onClick={() => decide('approve')}>
        Approve
      </button>
      <button type="button" class="danger" onClick={() => decide('deny')}>
        Deny
      </button>
      {error && <span class="error">{error}</span>}
    </div>
  );
}

export function ApprovalsPage(props: { me: Me }) {
  const pending = usePolling(loadPending, 2000);
  const approver = canApprove(props.me);
  const items = pending.data?.items ?? [];
  return (
    <section>
      <h1>Approvals</h1>
      <p class="muted">
        Permission requests of running sessions that their profile policy leaves to a person, oldest first.{' '}
        {approver ? 'An approval gives the asking attempt a grant token.' : 'Approvers and admins decide them.'}
      </p>
      <Notice error={pending.error} />
      {pending.data && items.length === 0 && <Empty>No pending requests.</Empty>}
      {items.length > 0 && (
        <table data-testid="approvals">
          <thead>
            <tr>
              <th>Session</th>
              <th>Runner</th>
              <th>Scope</th>
              <th>Resource</th>
              <th>Reason</th>
              <th>Asked</th>
              {approver && <th>Decision</th>}
            </tr>
          </thead>
          <tbody>
            {items.map((request) => (
              <tr key={request.id} data-request={request.id}>
                <td>
                  <Link href={`/console/sessions/${request.session_id}`}>{request.session_id.slice(0, 12)}</Link> #
                  {request.attempt}
                </td>
                <td>{request.runner_id ?? '—'}</td>
                <td>
                  <code>{request.scope}</code>
                </td>
                <td>
                  <code>{request.resource}</code>
                </td>
                <td>{request.reason}</td>
                <td>
                  <Time iso={request.created_at} />
                </td>
                {approver && (
                  <td>
                    <Decision request={request} onDone={pending.reload} />
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
