// The audit log (admins): who changed what and when, filtered by actor, action, target and time, in pages.
import { useState } from 'preact/hooks';
import { api } from '../api.ts';
import { Empty, Notice, Pager, Time, useCursors } from '../components.tsx';
import { Link } from '../router.tsx';
import { usePolling } from './live.ts';

interface AuditRecord {
  id: string;
  actor: string;
  action: string;
  target: string | null;
  request_id: string | null;
  at: string;
}

const FILTERS = ['actor', 'action', 'target'] as const;

export function AuditPage() {
  const [filters, setFilters] = useState<Record<string, string>>({});
  const pager = useCursors([JSON.stringify(filters)]);
  const query = new URLSearchParams({ limit: '50' });
  for (const [name, value] of Object.entries(filters)) {
    if (!value) continue;
    // Dates from the form are days in the viewer's zone: since its start, until the next day's start.
    if (name === 'since') query.set(name, new Date(`${value}T00:00`).toISOString());
    else if (name === 'until')
      query.set(name, new Date(new Date(`${value}T00:00`).getTime() + 86_400_000).toISOString());
    else query.set(name, value);
  }
  if (pager.current) query.set('cursor', pager.current);
  const records = usePolling(
    () => api<{ items: AuditRecord[]; next_cursor: string | null }>('GET', `/v1/audit?${query}`),
    10_000,
    [query.toString()],
  );
  const apply = (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.target as HTMLFormElement);
    setFilters(Object.fromEntries([...form.entries()].map(([k, v]) => [k, String(v).trim()])));
  };
  const items = records.data?.items ?? [];
  return (
    <section>
      <h1>Audit log</h1>
      <form class="filters" onSubmit={apply} aria-label="Filter the audit log">
        {FILTERS.map((name) => (
          <label key={name}>
            {name[0]!.toUpperCase() + name.slice(1)}
            <input name={name} placeholder={name === 'action' ? 'e.g. admin/keys' : ''} />
          </label>
        ))}
        <label>
          From
          <input name="since" type="date" />
        </label>
        <label>
          To
          <input name="until" type="date" />
        </label>
        <button type="submit">Filter</button>
      </form>
      <Notice error={records.error} />
      {records.data && items.length === 0 && <Empty>No audit records match.</Empty>}
      {items.length > 0 && (
        <table>
          <thead>
            <tr>
              <th>When</th>
              <th>Actor</th>
              <th>Action</th>
              <th>Target</th>
            </tr>
          </thead>
          <tbody>
            {items.map((record) => (
              <tr key={record.id} data-audit={record.action}>
                <td>
                  <Time iso={record.at} />
                </td>
                <td>{record.actor}</td>
                <td>{record.action}</td>
                <td>
                  {record.target && /^[0-9a-f-]{36}$/.test(record.target) ? (
                    <Link href={`/console/sessions/${record.target}`}>{record.target}</Link>
                  ) : (
                    (record.target ?? '—')
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager pager={pager} next={records.data?.next_cursor} />
    </section>
  );
}
