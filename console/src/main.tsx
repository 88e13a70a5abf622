// The console: a small router over the pages, the signed-in user, and the navigation.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { canApprove, canOperate, isAdmin, loadMe, logOut, type Me } from './api.ts';
import { ApprovalsPage, loadPending } from './pages/approvals.tsx';
import { AuditPage } from './pages/audit.tsx';
import { KeysPage } from './pages/keys.tsx';
import { usePolling } from './pages/live.ts';
import { LoginPage } from './pages/login.tsx';
import { ProfilePage, ProfilesPage } from './pages/profiles.tsx';
import { ReviewPage, ReviewsPage } from './pages/reviews.tsx';
import { RunnerPage } from './pages/runner.tsx';
import { RunnersPage } from './pages/runners.tsx';
import { SessionPage } from './pages/session.tsx';
import { SessionsPage } from './pages/sessions.tsx';
import { SetupPage } from './pages/setup.tsx';
import { UsersPage } from './pages/users.tsx';
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

type Page = { section: string; render: (me: Me) => preact.JSX.Element; admin?: boolean };

/** The page for a path, or null (not found). Detail routes before their lists. */
function route(path: string): Page | null {
  const detail = (prefix: string) => new RegExp(`^/console/${prefix}/([^/]+)$`).exec(path)?.[1];
  const id = (prefix: string) => {
    const value = detail(prefix);
    return value === undefined ? undefined : decodeURIComponent(value);
  };
  const session = id('sessions');
  if (session) return { section: 'sessions', render: (me) => <SessionPage id={session} me={me} /> };
  const review = id('reviews');
  if (review) return { section: 'reviews', render: () => <ReviewPage id={review} /> };
  const runner = id('runners');
  if (runner) return { section: 'runners', render: (me) => <RunnerPage id={runner} me={me} /> };
  const profile = id('profiles');
  if (profile) return { section: 'profiles', render: (me) => <ProfilePage id={profile} me={me} /> };
  const pages: Record<string, Page> = {
    '/console/runners': { section: 'runners', render: () => <RunnersPage /> },
    '/console/sessions': { section: 'sessions', render: (me) => <SessionsPage me={me} /> },
    '/console/reviews': { section: 'reviews', render: () => <ReviewsPage /> },
    '/console/approvals': { section: 'approvals', render: (me) => <ApprovalsPage me={me} /> },
    '/console/profiles': { section: 'profiles', render: (me) => <ProfilesPage me={me} /> },
    '/console/keys': { section: 'keys', admin: true, render: () => <KeysPage /> },
    '/console/users': { section: 'users', admin: true, render: (me) => <UsersPage me={me} /> },
    '/console/audit': { section: 'audit', admin: true, render: () => <AuditPage /> },
  };
  return pages[path.replace(/\/$/, '')] ?? null;
}

function NotFound(props: { path: string }) {
  return (
    <section data-testid="not-found">
      <h1>Page not found</h1>
      <p>
        There is no console page at <code>{props.path}</code>. Go to <Link href="/console/runners">Runners</Link>.
      </p>
    </section>
  );
}

/** The pending approvals count in the header, for those who decide them. */
function ApprovalsBadge() {
  const pending = usePolling(loadPending, 5000);
  const count = pending.data?.items.length ?? 0;
  if (count === 0) return null;
  return (
    <span class="count" data-testid="approvals-badge" title={`${count} pending approvals`}>
      {count}
    </span>
  );
}

function App() {
  const path = usePath();
  const [me, setMe] = useState<Me | null | undefined>(undefined);
  useEffect(() => {
    if (path !== '/console/login' && path !== '/console/setup') void loadMe().then(setMe);
  }, [path]);
  if (path === '/console/login') return <LoginPage />;
  if (path === '/console/setup') return <SetupPage />;
  if (me === undefined) return <p class="muted">Loading…</p>;
  if (me === null) {
    location.assign(`/console/login?next=${encodeURIComponent(path)}`);
    return null;
  }
  const page = route(path);
  // Admin pages do not exist for others: the same page as an unknown route.
  const allowed = page && (!page.admin || isAdmin(me));
  const nav: [string, string, boolean][] = [
    ['runners', 'Runners', true],
    ['sessions', 'Sessions', true],
    ['reviews', 'Reviews', true],
    ['approvals', 'Approvals', true],
    ['profiles', 'Profiles', canOperate(me) || canApprove(me)],
    ['keys', 'Keys', isAdmin(me)],
    ['users', 'Users', isAdmin(me)],
    ['audit', 'Audit', isAdmin(me)],
  ];
  return (
    <div class="layout">
      <header>
        <strong>Runplane</strong>
        <nav aria-label="Sections">
          {nav
            .filter(([, , shown]) => shown)
            .map(([section, label]) => (
              <Link key={section} href={`/console/${section}`} class={page?.section === section ? 'active' : ''}>
                {label}
                {section === 'approvals' && canApprove(me) && <ApprovalsBadge />}
              </Link>
            ))}
        </nav>
        <span class="who">
          {me.email} · {me.role} · {me.org}
        </span>
        <button
          type="button"
          class="logout"
          onClick={async () => {
            await logOut();
            location.assign('/console/login');
          }}
        >
          Log out
        </button>
      </header>
      <main>{allowed ? page.render(me) : <NotFound path={path} />}</main>
    </div>
  );
}

render(<App />, document.getElementById('app')!);
