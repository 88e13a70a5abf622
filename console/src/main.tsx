// The console: a small router over the pages, the signed-in user, and the navigation.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { loadMe, type Me } from './api.ts';
import { LoginPage } from './pages/login.tsx';
import { ReviewPage, ReviewsPage } from './pages/reviews.tsx';
import { RunnersPage } from './pages/runners.tsx';
import { SessionPage } from './pages/session.tsx';
import { SessionsPage } from './pages/sessions.tsx';
import { Link } from './router.tsx';
import './style.css';

function usePath() {
  const [path, setPath] = useState(location.pathname);
  useEffect(() => {
    const update = () => setPath(location.pathname);
    addEventListener('popstate', update);
    return () => removeEventListener('popstate', update);
  }, []);
  return path;
}

function App() {
  const path = usePath();
  const [me, setMe] = useState<Me | null | undefined>(undefined);
  useEffect(() => {
    if (path !== '/console/login') void loadMe().then(setMe);
  }, [path]);
  if (path === '/console/login') return <LoginPage />;
  if (me === undefined) return <p class="muted">Loading…</p>;
  if (me === null) {
    location.assign(`/console/login?next=${encodeURIComponent(path)}`);
    return null;
  }
  const session = /^\/console\/sessions\/([^/]+)$/.exec(path);
  const review = /^\/console\/reviews\/([^/]+)$/.exec(path);
  const section = path.split('/')[2] ?? 'runners';
  return (
    <div class="layout">
      <header>
        <strong>Runplane</strong>
        <nav aria-label="Sections">
          <Link href="/console/runners" class={section === 'runners' ? 'active' : ''}>
            Runners
          </Link>
          <Link href="/console/sessions" class={section === 'sessions' ? 'active' : ''}>
            Sessions
          </Link>
          <Link href="/console/reviews" class={section === 'reviews' ? 'active' : ''}>
            Reviews
          </Link>
        </nav>
        <span class="who">
          {me.email} · {me.role} · {me.org}
        </span>
      </header>
      <main>
        {session ? (
          <SessionPage id={session[1]!} me={me} />
        ) : review ? (
          <ReviewPage id={review[1]!} />
        ) : section === 'sessions' ? (
          <SessionsPage me={me} />
        ) : section === 'reviews' ? (
          <ReviewsPage />
        ) : (
          <RunnersPage />
        )}
      </main>
    </div>
  );
}

render(<App />, document.getElementById('app')!);
