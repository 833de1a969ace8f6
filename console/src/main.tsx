import 'uplot/dist/uPlot.min.css';
import './style.css';
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, probeAuth, setApiSession } from './api';
import { AppPage } from './pages/app';
import { AppsPage } from './pages/apps';
import { CallPage } from './pages/call';
import { CallsPage } from './pages/calls';
import { EnginesPage } from './pages/engines';
import { LoginPage } from './pages/login';
import { RoutePage } from './pages/route';
import { TriggersPage } from './pages/triggers';
import { canWrite, isAdmin, loadSession, saveSession, Session } from './session';

// The console's shell: who is signed in, the navigation, and the screen the location hash names
// (#/apps, #/apps/{app}, #/apps/{app}/routes/{path}, #/calls?…, #/calls/{id}, #/triggers, #/engines).

interface Location { parts: string[]; query: URLSearchParams }

function readHash(): Location {
  const raw = location.hash.replace(/^#\/?/, '');
  const [p, q] = raw.split('?');
  return { parts: (p ?? '').split('/').filter(Boolean).map(decodeURIComponent), query: new URLSearchParams(q ?? '') };
}

function useHash(): Location {
  const [loc, setLoc] = useState(readHash);
  useEffect(() => {
    const on = () => setLoc(readHash());
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return loc;
}

function Screen({ loc, session }: { loc: Location; session: Session }) {
  const [top, a, b, c] = loc.parts;
  const key = location.hash;
  if (top === 'apps' && a && b === 'routes' && c) return <RoutePage key={key} session={session} app={a} path={c} />;
  if (top === 'apps' && a) return <AppPage key={key} session={session} name={a} />;
  if (top === 'calls' && a) return <CallPage key={key} session={session} id={a} />;
  if (top === 'calls') return <CallsPage key={key} query={loc.query} />;
  if (top === 'triggers') return <TriggersPage key={key} session={session} />;
  if (top === 'engines') return <EnginesPage key={key} />;
  return <AppsPage key={key} session={session} />;
}

/** Shows the engines link only when this Fresco's API has GET /v1/engines (its OpenAPI document says so) and it answers this user 200. */
function useEngines(session?: Session): boolean {
  const [has, setHas] = useState(false);
  useEffect(() => {
    setHas(false);
    if (!session || !isAdmin(session)) return;
    fetch('/api').then((r) => r.json()).then((doc: { paths?: Record<string, { get?: unknown }> }) => {
      if (!doc.paths?.['/v1/engines']?.get) return;
      return api('GET', '/v1/engines').then(() => setHas(true));
    }).catch(() => setHas(false));
  }, [session]);
  return has;
}

function Header({ session, engines, current, onSignOut }: {
  session: Session; engines: boolean; current: string; onSignOut: () => void;
}) {
  const link = (to: string, label: string) => (
    <li><a href={`#/${to}`} aria-current={current === to ? 'page' : undefined}>{label}</a></li>
  );
  return (
    <header class="top">
      <a class="skip" href="#main" onClick={(e) => { e.preventDefault(); document.getElementById('main')?.focus(); }}>Skip to content</a>
      <span class="brand">Fresco</span>
      <nav aria-label="Main">
        <ul>
          {link('apps', 'Apps')}
          {link('calls', 'Calls')}
          {link('triggers', 'Triggers')}
          {engines && link('engines', 'Engines')}
        </ul>
      </nav>
      <div class="who">
        <span>
          {session.mode === 'noauth' ? 'noauth' : session.user} · project <strong>{session.projectName ?? session.projectId}</strong>
          {session.mode === 'keystone' && <> · roles {session.roles.join(', ')}</>}
        </span>
        {!canWrite(session) && <span class="badge" title="Your roles only let you read">read-only</span>}
        <button type="button" class="link" onClick={onSignOut}>{session.mode === 'noauth' ? 'Change project' : 'Sign out'}</button>
      </div>
    </header>
  );
}

function Console() {
  const [session, setSession] = useState<Session | undefined>(loadSession);
  const [auth, setAuth] = useState<{ mode: 'keystone' | 'noauth'; keystoneUri?: string }>();
  const [notice, setNotice] = useState<string>();
  const loc = useHash();
  const engines = useEngines(session);
  const signIn = (s: Session | undefined, message?: string) => {
    saveSession(s);
    setSession(s);
    setNotice(message);
  };
  setApiSession(session, (message) => signIn(undefined, `Signed out: ${message}`));
  useEffect(() => { probeAuth().then(setAuth, (e: Error) => setNotice(`Fresco does not answer: ${e.message}`)); }, []);
  if (!session || (auth && auth.mode !== session.mode)) {
    return <LoginPage auth={auth} notice={notice} onSession={(s) => signIn(s)} />;
  }
  return (
    <>
      <Header session={session} engines={engines} current={loc.parts[0] ?? 'apps'} onSignOut={() => signIn(undefined)} />
      <main id="main" tabIndex={-1}>
        <Screen loc={loc} session={session} />
      </main>
    </>
  );
}

render(<Console />, document.getElementById('root')!);
