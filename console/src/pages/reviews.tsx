import { age, api } from '../api.ts';
import { Link } from '../router.tsx';
import { usePolling } from './live.ts';

interface Review {
  id: string;
  status: string;
  repositoryUrl: string;
  branch: string;
  commitSha: string;
  rating: string | null;
  totalComments: number | null;
  delivery: string | null;
  deliveryError: string | null;
  createdAt: string;
  files: { path: string; comments: { line: number; severity: string; body: string }[] }[];
  pullRequest: { provider: string; repository: string; number: number } | null;
}

export function ReviewsPage() {
  const { data, error } = usePolling(() => api<{ data: Review[] }>('GET', '/reviews?limit=50'), 3000);
  return (
    <section>
      <h1>Reviews</h1>
      {error && <p class="error">{error}</p>}
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
          {(data?.data ?? []).map((r) => (
            <tr key={r.id}>
              <td>
                <Link href={`/console/reviews/${r.id}`}>
                  <span class={`badge ${r.status}`}>{r.status}</span>
                </Link>
              </td>
              <td>
                {r.pullRequest ? `${r.pullRequest.repository}#${r.pullRequest.number}` : r.repositoryUrl} ({r.branch})
              </td>
              <td>{r.rating ?? '—'}</td>
              <td>{r.totalComments ?? '—'}</td>
              <td>{r.delivery ?? '—'}</td>
              <td>{age(r.createdAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

export function ReviewPage(props: { id: string }) {
  const { data, error } = usePolling(() => api<{ data: Review }>('GET', `/reviews/${props.id}`), 3000, [props.id]);
  const r = data?.data;
  return (
    <section>
      <h1>Review {props.id.slice(0, 8)}</h1>
      {error && <p class="error">{error}</p>}
      {r && (
        <>
          <div class="summary">
            <span class={`badge ${r.status}`}>{r.status}</span>
            <span>rating {r.rating ?? '—'}</span>
            <span>{r.totalComments ?? 0} comment(s)</span>
            <span>
              delivery {r.delivery ?? '—'}
              {r.deliveryError ? ` (${r.deliveryError})` : ''}
            </span>
            <span>{r.commitSha.slice(0, 12)}</span>
          </div>
          {r.files.map((file) => (
            <div key={file.path} class="file">
              <h2>{file.path}</h2>
              <ul>
                {file.comments.map((c) => (
                  <li key={`${c.line}-${c.body}`}>
                    <span class={`badge ${c.severity}`}>{c.severity}</span> line {c.line}: {c.body}
                  </li>
                ))}
              </ul>
            </div>
          ))}
        </>
      )}
    </section>
  );
}
