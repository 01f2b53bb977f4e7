import { ShortenPage } from './shorten.page.js';

/** The pages by path; more come with the links list, the feed and the console. */
export function App() {
  const path = window.location.pathname;
  return (
    <>
      <header className="bar">
        <a className="brand" href="/">
          Blueprint
        </a>
        <nav aria-label="Main">
          <a href="/api/docs">API docs</a>
        </nav>
      </header>
      <main>{path === '/' ? <ShortenPage /> : <NotFound />}</main>
    </>
  );
}

function NotFound() {
  return (
    <section>
      <h1>Page not found</h1>
      <p>
        <a href="/">Shorten a link</a> instead.
      </p>
    </section>
  );
}
