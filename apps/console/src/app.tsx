import type { Session } from '@fstore/client';
import { useEffect, useState } from 'preact/hooks';
import { api, setSession, whenSessionExpires } from './api';
import { AuditPage } from './pages/audit';
import { FeatureDetailPage, FeaturesPage } from './pages/features';
import { HealthPage } from './pages/health';
import { JobsPage } from './pages/jobs';
import { SignInPage } from './pages/sign-in';

/** Pages are addressed by the URL fragment (#/features, #/features/<name>, …): no server routes. */
const PAGES = [
  { path: 'features', title: 'Features' },
  { path: 'jobs', title: 'Jobs' },
  { path: 'audit', title: 'Audit log' },
  { path: 'health', title: 'Health' },
] as const;

function currentRoute(): string[] {
  const parts = location.hash.replace(/^#\/?/, '').split('/').filter(Boolean);
  return parts.length ? parts.map(decodeURIComponent) : ['features'];
}

type SessionState =
  { state: 'checking' } | { state: 'out'; notice?: string } | { state: 'in'; session: Session };

export function App() {
  const [auth, setAuth] = useState<SessionState>({ state: 'checking' });
  const [route, setRoute] = useState(currentRoute);

  const signedIn = (session: Session) => {
    setSession(session);
    setAuth({ state: 'in', session });
  };
  const signedOut = (notice?: string) => {
    setSession(undefined);
    setAuth({ state: 'out', notice });
  };

  useEffect(() => {
    whenSessionExpires(() => signedOut('Your session has ended. Sign in again.'));
    api.session().then(signedIn, () => signedOut());
    const onHash = () => setRoute(currentRoute());
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);

  // A session ends at its expiry even when the page makes no request.
  useEffect(() => {
    if (auth.state !== 'in') return;
    const ms = new Date(auth.session.expires_at).getTime() - Date.now();
    const timer = setTimeout(
      () => signedOut('Your session has ended. Sign in again.'),
      Math.max(0, ms),
    );
    return () => clearTimeout(timer);
  }, [auth]);

  useEffect(() => {
    const page = PAGES.find((p) => p.path === route[0]);
    document.title =
      auth.state === 'in'
        ? `${page?.title ?? 'Not found'} · fstore console`
        : 'Sign in · fstore console';
  }, [route, auth]);

  if (auth.state === 'checking')
    return (
      <p class="status" role="status">
        Loading…
      </p>
    );
  if (auth.state === 'out') return <SignInPage notice={auth.notice} onSignedIn={signedIn} />;

  const { session } = auth;
  const signOut = async () => {
    await api.signOut().catch(() => undefined);
    signedOut('You signed out.');
  };
  return (
    <>
      {/* The fragment routes the pages, so the skip link moves the focus itself. */}
      <a
        class="skip"
        href="#main"
        onClick={(event) => {
          event.preventDefault();
          document.getElementById('main')?.focus();
        }}
      >
        Skip to content
      </a>
      <header class="top">
        <span class="brand">fstore console</span>
        <nav aria-label="Pages">
          <ul>
            {PAGES.map((p) => (
              <li key={p.path}>
                <a href={`#/${p.path}`} aria-current={route[0] === p.path ? 'page' : undefined}>
                  {p.title}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div class="who">
          <span data-testid="who">
            {session.actor} <span class="role">({session.role})</span>
          </span>
          <button type="button" onClick={signOut}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <Page route={route} session={session} />
      </main>
    </>
  );
}

function Page({ route, session }: { route: string[]; session: Session }) {
  switch (route[0]) {
    case 'features':
      return route[1] ? <FeatureDetailPage name={route[1]} /> : <FeaturesPage />;
    case 'jobs':
      return <JobsPage role={session.role} />;
    case 'audit':
      return <AuditPage />;
    case 'health':
      return <HealthPage />;
    default:
      return (
        <>
          <h1>Not found</h1>
          <p>
            There is no page {route.join('/')}. <a href="#/features">Go to the features</a>.
          </p>
        </>
      );
  }
}
