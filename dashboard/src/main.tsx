/** The Nimbus dashboard: sign in with an API key, then Overview, Functions, Invocations and Events. */
import { render } from 'preact';
import { useState } from 'preact/hooks';
import { api, session } from './api.js';
import { EventsPage } from './events.js';
import { InvocationPage, InvocationsPage } from './invocations.js';
import { FunctionPage, FunctionsPage, OverviewPage } from './pages.js';
import { href, navigate, rangeOf, useLocation } from './router.js';
import './style.css';

function SignIn({ onSignedIn }: { onSignedIn: () => void }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string>();
  const submit = async (e: Event) => {
    e.preventDefault();
    try {
      await api('/v1/functions', { key: key.trim() });
      session.signIn(key.trim());
      onSignedIn();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };
  return (
    <form class="signin" onSubmit={(e) => void submit(e)}>
      <h1>Nimbus</h1>
      <p>Sign in with the admin key (in &lt;data-dir&gt;/admin.key) or an API key with the read scope.</p>
      <input name="key" type="password" autocomplete="off" placeholder="API key" value={key} onInput={(e) => setKey(e.currentTarget.value)} />
      <button type="submit">Sign in</button>
      {error && <p class="error">{error}</p>}
    </form>
  );
}

const PAGES = [
  ['/', 'Overview'],
  ['/functions', 'Functions'],
  ['/invocations', 'Invocations'],
  ['/events', 'Events'],
] as const;

function App() {
  const url = useLocation();
  const [signedIn, setSignedIn] = useState(session.key() !== null);
  if (!signedIn) return <SignIn onSignedIn={() => setSignedIn(true)} />;
  const range = rangeOf(url);
  const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  let page;
  if (parts[0] === 'functions' && parts.length === 3) page = <FunctionPage app={parts[1]!} fn={parts[2]!} range={range} />;
  else if (parts[0] === 'functions') page = <FunctionsPage />;
  else if (parts[0] === 'invocations' && parts[1]) page = <InvocationPage id={parts[1]} />;
  else if (parts[0] === 'invocations') page = <InvocationsPage url={url} />;
  else if (parts[0] === 'events') page = <EventsPage />;
  else page = <OverviewPage range={range} />;
  return (
    <>
      <header>
        <strong>Nimbus</strong>
        <nav>
          {PAGES.map(([path, label]) => (
            <a key={path} {...href(path)} class={(path === '/' ? parts.length === 0 : url.pathname.startsWith(path)) ? 'active' : ''}>
              {label}
            </a>
          ))}
        </nav>
        <select aria-label="range" value={range} onChange={(e) => navigate(url.pathname, { ...Object.fromEntries(url.searchParams), range: e.currentTarget.value })}>
          <option value="1h">last hour</option>
          <option value="24h">last 24 hours</option>
        </select>
        <button
          onClick={() => {
            session.signOut();
            setSignedIn(false);
          }}
        >
          Sign out
        </button>
      </header>
      <main>{page}</main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
