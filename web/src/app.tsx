import { lazy, Suspense, type ReactNode } from 'react';
import { LoginPage, SignupPage } from './auth.pages.js';
import { Link, match, navigate, useLocation } from './router.js';
import { SessionProvider, useSession } from './session.js';
import { ShortenPage } from './shorten.page.js';
import { FeedNav } from './feed/nav.js';
import { FEED_ROUTES } from './feed/routes.js';
import { ChatNav } from './chat/nav.js';
import { CHAT_ROUTES } from './chat/routes.js';

// Pages past the first load in chunks of their own: the first page stays small.
const LinksPage = lazy(() => import('./links/links.page.js'));
const LinkStatsPage = lazy(() => import('./links/link-stats.page.js'));
const ConsolePage = lazy(() => import('./console/console.page.js'));

interface Route {
  pattern: string;
  /** Signed-in users only: others go to /login and come back. */
  auth?: boolean;
  render: (params: Record<string, string>, query: URLSearchParams) => ReactNode;
}

/** Every page by path. The server serves index.html for each pattern (src/webapp/webapp.routes.ts). */
const ROUTES: Route[] = [
  { pattern: '/', render: () => <ShortenPage /> },
  { pattern: '/login', render: (_, q) => <LoginPage next={safeNext(q.get('next'))} /> },
  { pattern: '/signup', render: (_, q) => <SignupPage next={safeNext(q.get('next'))} /> },
  { pattern: '/links', auth: true, render: (_, q) => <LinksPage query={q} /> },
  { pattern: '/links/:code', render: (p) => <LinkStatsPage code={p.code!} /> },
  // -- feed routes --
  ...FEED_ROUTES,
  // -- chat routes --
  ...CHAT_ROUTES,
  // -- console routes --
  { pattern: '/console', render: () => <ConsolePage /> },
];

/** Only in-app paths as `next` (no open redirect to another site). */
function safeNext(next: string | null): string {
  return next !== null && next.startsWith('/') && !next.startsWith('//') ? next : '/';
}

export function App() {
  return (
    <SessionProvider>
      <Shell />
    </SessionProvider>
  );
}

function Shell() {
  const { path, query } = useLocation();
  const { user, logout } = useSession();
  let page: ReactNode = <NotFound />;
  for (const route of ROUTES) {
    const params = match(route.pattern, path);
    if (params === null) continue;
    if (route.auth && user === undefined) page = <p aria-busy="true">Loading…</p>;
    else if (route.auth && user === null) page = <Redirect to={`/login?next=${encodeURIComponent(path + window.location.search)}`} />;
    else page = route.render(params, query);
    break;
  }
  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="bar">
        <Link className="brand" href="/">
          Blueprint
        </Link>
        <nav aria-label="Main">
          <Link href="/">Shorten</Link>
          {user && <Link href="/links">My links</Link>}
          {/* -- feed nav -- */}
          <FeedNav />
          {/* -- chat nav -- */}
          <ChatNav />
          {/* -- console nav -- */}
          <Link href="/console">Console</Link>
          {user === null && <Link href={`/login?next=${encodeURIComponent(path)}`}>Sign in</Link>}
          {user && (
            <button type="button" className="link" onClick={() => void logout().then(() => navigate('/'))}>
              Sign out {user.username}
            </button>
          )}
        </nav>
      </header>
      <main id="main">
        <Suspense fallback={<p aria-busy="true">Loading…</p>}>{page}</Suspense>
      </main>
    </>
  );
}

function Redirect({ to }: { to: string }) {
  queueMicrotask(() => navigate(to, { replace: true }));
  return null;
}

function NotFound() {
  return (
    <section>
      <h1>Page not found</h1>
      <p>
        <Link href="/">Shorten a link</Link> instead.
      </p>
    </section>
  );
}
