// Profiles (operators and admins): create with a readable id, edit, archive or delete; harness revisions with a
// "new revision" form.
import { useState } from 'preact/hooks';
import { api, canOperate, isAdmin, type Me } from '../api.ts';
import { Badge, ConfirmButton, Empty, Notice, Pager, Time, useCursors } from '../components.tsx';
import { Link, navigate } from '../router.tsx';
import { usePolling } from './live.ts';

export interface Profile {
  id: string;
  name: string;
  description: string;
  status: 'active' | 'archived';
  builtin: boolean;
  created_at: string;
  suspended_at?: string | null;
  suspended_reason?: string | null;
}

interface Policy {
  version: number;
  permissions: unknown[];
  budgets: Record<string, number>;
  cancel_grace_seconds: number;
  created_by: string | null;
  created_at: string | null;
}

/** The profile's policy as JSON an admin edits; each save is a new version (sessions keep the one they pinned). */
function PolicyEditor(props: { profileId: string; admin: boolean }) {
  const policy = usePolling(
    () => api<{ current: Policy; versions: Policy[] }>('GET', `/v1/runners/profiles/${props.profileId}/policy`),
    30_000,
    [props.profileId],
  );
  const [text, setText] = useState<string | null>(null);
  const [error, setError] = useState('');
  const [message, setMessage] = useState('');
  const current = policy.data?.current;
  const shown =
    text ??
    (current
      ? JSON.stringify(
          {
            permissions: current.permissions,
            budgets: current.budgets,
            cancel_grace_seconds: current.cancel_grace_seconds,
          },
          null,
          2,
        )
      : '');
  const save = async () => {
    setError('');
    try {
      const written = await api<Policy>('PUT', `/v1/runners/profiles/${props.profileId}/policy`, JSON.parse(shown));
      setMessage(`saved as version ${written.version}`);
      setText(null);
      policy.reload();
    } catch (failure) {
      setError((failure as Error).message);
    }
  };
  return (
    <div class="panel" data-testid="policy">
      <h2>Policy {current ? `(version ${current.version})` : ''}</h2>
      <p class="muted">
        Permission rules (first match wins; no match asks a person), budgets that pause a session, the cancel grace.
      </p>
      <Notice error={policy.error || error}>{message}</Notice>
      <textarea
        rows={12}
        aria-label="Policy JSON"
        readOnly={!props.admin}
        value={shown}
        onInput={(e) => setText(e.currentTarget.value)}
      />
      {props.admin && (
        <button type="button" onClick={save}>
          Save policy
        </button>
      )}
    </div>
  );
}

interface Harness {
  id: string;
  version: string;
  image_ref: string;
  created_at: string;
}

export function ProfilesPage(props: { me: Me }) {
  const pager = useCursors([]);
  const query = new URLSearchParams({ limit: '50' });
  if (pager.current) query.set('cursor', pager.current);
  const profiles = usePolling(
    () => api<{ items: Profile[]; next_cursor: string | null }>('GET', `/v1/runners/profiles?${query}`),
    10_000,
    [query.toString()],
  );
  const [error, setError] = useState('');
  const create = async (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.target as HTMLFormElement);
    const id = String(form.get('id') || '').trim();
    setError('');
    try {
      const profile = await api<Profile>('POST', '/v1/runners/profiles', {
        name: String(form.get('name')),
        description: String(form.get('description') || ''),
        ...(id ? { id } : {}),
      });
      navigate(`/console/profiles/${profile.id}`);
    } catch (failure) {
      setError((failure as Error).message);
    }
  };
  const items = profiles.data?.items ?? [];
  return (
    <section>
      <h1>Profiles</h1>
      <Notice error={profiles.error} />
      {profiles.data && items.length === 0 && <Empty>No profiles yet.</Empty>}
      {items.length > 0 && (
        <table>
          <thead>
            <tr>
              <th>Name</th>
              <th>Id</th>
              <th>Status</th>
              <th>Created</th>
            </tr>
          </thead>
          <tbody>
            {items.map((profile) => (
              <tr key={profile.id} data-profile={profile.id}>
                <td>
                  <Link href={`/console/profiles/${profile.id}`}>{profile.name}</Link>
                  {profile.builtin ? ' (built in)' : ''}
                </td>
                <td>
                  <code>{profile.id}</code>
                </td>
                <td>
                  <Badge value={profile.status} />
                </td>
                <td>
                  <Time iso={profile.created_at} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager pager={pager} next={profiles.data?.next_cursor} />
      {canOperate(props.me) && (
        <form class="panel" onSubmit={create} aria-label="Create a profile">
          <h2>Create a profile</h2>
          <label>
            Name
            <input name="name" required maxLength={128} />
          </label>
          <label>
            Id (optional, readable: lowercase letters, digits, dashes)
            <input name="id" pattern="[a-z0-9][a-z0-9\-]{0,62}" placeholder="e.g. nightly-build" />
          </label>
          <label>
            Description
            <textarea name="description" rows={2} maxLength={4096} />
          </label>
          <Notice error={error} />
          <button type="submit">Create profile</button>
        </form>
      )}
    </section>
  );
}

export function ProfilePage(props: { id: string; me: Me }) {
  const profile = usePolling(() => api<Profile>('GET', `/v1/runners/profiles/${props.id}`), 10_000, [props.id]);
  const harnesses = usePolling(
    () => api<{ items: Harness[] }>('GET', `/v1/runners/profiles/${props.id}/harnesses?limit=100`),
    10_000,
    [props.id],
  );
  const [error, setError] = useState('');
  const [message, setMessage] = useState('');
  const operator = canOperate(props.me);
  const run = async (fn: () => Promise<unknown>, done: string) => {
    setError('');
    try {
      await fn();
      setMessage(done);
      profile.reload();
      harnesses.reload();
    } catch (failure) {
      setError((failure as Error).message);
    }
  };
  const p = profile.data;
  const save = (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.target as HTMLFormElement);
    void run(
      () =>
        api('PUT', `/v1/runners/profiles/${props.id}`, {
          name: String(form.get('name')),
          description: String(form.get('description') || ''),
        }),
      'saved',
    );
  };
  const addRevision = (event: Event) => {
    event.preventDefault();
    const formElement = event.target as HTMLFormElement;
    const form = new FormData(formElement);
    void run(async () => {
      await api('POST', `/v1/runners/profiles/${props.id}/harnesses`, {
        version: String(form.get('version')),
        image_ref: String(form.get('image_ref')),
      });
      formElement.reset();
    }, 'new revision added; new sessions use it');
  };
  return (
    <section>
      <h1>Profile {p?.name ?? props.id}</h1>
      <Notice error={profile.error || error}>{message}</Notice>
      {p && (
        <div class="summary">
          <Badge value={p.status} />
          <span>
            id <code>{p.id}</code>
          </span>
          <span>
            created <Time iso={p.created_at} />
          </span>
          <Link href={`/console/sessions?profile=${encodeURIComponent(p.id)}`}>Its sessions</Link>
          {p.suspended_at && (
            <strong data-testid="suspended">
              suspended <Time iso={p.suspended_at} />: {p.suspended_reason}
            </strong>
          )}
          {isAdmin(props.me) && !p.suspended_at && (
            <ConfirmButton
              label="Suspend"
              question={`Suspend ${p.name}? Its pending and running sessions are cancelled and new dispatches refused.`}
              confirm="Suspend profile"
              danger
              onConfirm={() =>
                run(
                  () =>
                    api('POST', `/v1/runners/profiles/${props.id}/suspend`, { reason: 'suspended from the console' }),
                  'suspended: its sessions are being cancelled',
                )
              }
            />
          )}
          {isAdmin(props.me) && p.suspended_at && (
            <button
              type="button"
              onClick={() => run(() => api('POST', `/v1/runners/profiles/${props.id}/unsuspend`), 'unsuspended')}
            >
              Unsuspend
            </button>
          )}
        </div>
      )}
      {p && !p.builtin && <PolicyEditor profileId={p.id} admin={isAdmin(props.me)} />}
      {p && operator && !p.builtin && (
        <form class="panel" onSubmit={save} aria-label="Edit the profile">
          <h2>Edit</h2>
          <label>
            Name
            <input name="name" required maxLength={128} defaultValue={p.name} />
          </label>
          <label>
            Description
            <textarea name="description" rows={2} maxLength={4096} defaultValue={p.description} />
          </label>
          <div class="actions">
            <button type="submit">Save</button>
            <ConfirmButton
              label="Archive or delete"
              question={`Remove ${p.name}? It is archived when sessions use it (no new dispatches), deleted otherwise.`}
              confirm="Remove profile"
              danger
              onConfirm={() =>
                run(async () => {
                  const answer = await api<{ outcome: string }>('DELETE', `/v1/runners/profiles/${props.id}`);
                  if (answer.outcome === 'deleted') navigate('/console/profiles');
                }, 'archived: sessions keep it, new dispatches are refused')
              }
            />
          </div>
        </form>
      )}
      {p && !p.builtin && p.description === '' && !operator && <Empty>No description.</Empty>}
      <h2>Harness revisions</h2>
      {harnesses.data && harnesses.data.items.length === 0 && <Empty>No harness revisions yet.</Empty>}
      {harnesses.data && harnesses.data.items.length > 0 && (
        <table>
          <thead>
            <tr>
              <th>Version</th>
              <th>Image</th>
              <th>Created</th>
            </tr>
          </thead>
          <tbody>
            {harnesses.data.items.map((h) => (
              <tr key={h.id} data-harness={h.version}>
                <td>{h.version}</td>
                <td>
                  <code>{h.image_ref}</code>
                </td>
                <td>
                  <Time iso={h.created_at} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {operator && p && !p.builtin && (
        <form class="panel" onSubmit={addRevision} aria-label="New harness revision">
          <h2>New revision</h2>
          <label>
            Version
            <input name="version" required maxLength={128} placeholder="e.g. 1.4.0" />
          </label>
          <label>
            Image reference
            <input name="image_ref" required maxLength={1024} placeholder="e.g. ghcr.io/acme/agent:1.4.0" />
          </label>
          <button type="submit">Add revision</button>
        </form>
      )}
    </section>
  );
}
