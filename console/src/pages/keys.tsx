// API keys of the org (admins): create one (its secret shown once, with a copy button), list, revoke.
import { useState } from 'preact/hooks';
import { api } from '../api.ts';
import { Badge, ConfirmButton, Empty, Notice, Pager, Time, useCursors } from '../components.tsx';
import { usePolling } from './live.ts';

interface Key {
  id: string;
  name: string;
  kind: 'operator' | 'runner';
  scopes: string[];
  created_at: string;
  revoked_at: string | null;
  expires_at: string | null;
}

const SCOPES = ['runners:read', 'runners:write', 'runners:dispatch', 'admin'];

const status = (key: Key) =>
  key.revoked_at ? 'revoked' : key.expires_at && Date.parse(key.expires_at) <= Date.now() ? 'expired' : 'active';

function NewKeyForm(props: { onCreated: () => void }) {
  const [kind, setKind] = useState<'operator' | 'runner'>('runner');
  const [secret, setSecret] = useState<{ name: string; key: string } | null>(null);
  const [copied, setCopied] = useState(false);
  const [error, setError] = useState('');
  const submit = async (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.target as HTMLFormElement);
    const scopes = SCOPES.filter((scope) => form.get(scope));
    const expires = String(form.get('expires') || '');
    setError('');
    try {
      const created = await api<Key & { key: string }>('POST', '/v1/admin/keys', {
        kind,
        ...(form.get('name') ? { name: String(form.get('name')) } : {}),
        ...(kind === 'operator' || scopes.length ? { scopes } : {}),
        // The end of the chosen day where the person is.
        ...(expires ? { expires_at: new Date(`${expires}T23:59:59`).toISOString() } : {}),
      });
      setSecret({ name: created.name, key: created.key });
      setCopied(false);
      (event.target as HTMLFormElement).reset();
      props.onCreated();
    } catch (failure) {
      setError((failure as Error).message);
    }
  };
  return (
    <form class="panel" onSubmit={submit} aria-label="Create a key">
      <h2>Create a key</h2>
      <label>
        Name
        <input name="name" maxLength={100} placeholder="e.g. build-box-1" />
      </label>
      <label>
        Kind
        <select value={kind} onChange={(e) => setKind((e.target as HTMLSelectElement).value as 'runner')}>
          <option value="runner">runner (for runplane runner: its task writes must name their attempt)</option>
          <option value="operator">operator (for scripts, integrations and people)</option>
        </select>
      </label>
      <fieldset>
        <legend>Scopes{kind === 'runner' ? ' (default: runners:read, runners:write)' : ''}</legend>
        {SCOPES.map((scope) => (
          <label class="inline" key={scope}>
            <input type="checkbox" name={scope} /> {scope}
          </label>
        ))}
      </fieldset>
      <label>
        Expires at the end of (optional)
        <input name="expires" type="date" />
      </label>
      <Notice error={error} />
      <button type="submit">Create key</button>
      {secret && (
        <div class="secret" data-testid="new-key">
          <p>
            The key <strong>{secret.name}</strong> — copy it now, it is not shown again:
          </p>
          <code>{secret.key}</code>{' '}
          <button
            type="button"
            onClick={async () => {
              await navigator.clipboard?.writeText(secret.key).catch(() => {});
              setCopied(true);
            }}
          >
            {copied ? 'Copied' : 'Copy'}
          </button>
        </div>
      )}
    </form>
  );
}

export function KeysPage() {
  const pager = useCursors([]);
  const query = new URLSearchParams({ limit: '50' });
  if (pager.current) query.set('cursor', pager.current);
  const keys = usePolling(
    () => api<{ items: Key[]; next_cursor: string | null }>('GET', `/v1/admin/keys?${query}`),
    10_000,
    [query.toString()],
  );
  const [error, setError] = useState('');
  const revoke = async (key: Key) => {
    try {
      await api('DELETE', `/v1/admin/keys/${key.id}`);
      keys.reload();
    } catch (failure) {
      setError((failure as Error).message);
    }
  };
  const items = keys.data?.items ?? [];
  return (
    <section>
      <h1>API keys</h1>
      <Notice error={keys.error || error} />
      {keys.data && items.length === 0 && <Empty>No keys yet. Create one below for your first runner.</Empty>}
      {items.length > 0 && (
        <table>
          <thead>
            <tr>
              <th>Name</th>
              <th>Kind</th>
              <th>Scopes</th>
              <th>Created</th>
              <th>Expires</th>
              <th>Status</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {items.map((key) => (
              <tr key={key.id} data-key={key.name}>
                <td title={key.id}>{key.name}</td>
                <td>{key.kind}</td>
                <td>{key.scopes.join(', ')}</td>
                <td>
                  <Time iso={key.created_at} />
                </td>
                <td>{key.expires_at ? new Date(key.expires_at).toLocaleString() : 'never'}</td>
                <td>
                  <Badge value={status(key)} />
                </td>
                <td>
                  {status(key) === 'active' && (
                    <ConfirmButton
                      label="Revoke"
                      question={`Revoke the key ${key.name}? Everything using it gets 401 at once.`}
                      confirm="Revoke key"
                      danger
                      onConfirm={() => revoke(key)}
                    />
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager pager={pager} next={keys.data?.next_cursor} />
      <NewKeyForm onCreated={keys.reload} />
    </section>
  );
}
