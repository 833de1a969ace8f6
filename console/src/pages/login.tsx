import { useState } from 'preact/hooks';
import { keystoneLogin } from '../api';
import type { Session } from '../session';
import { ErrorBox, Field, PageTitle } from '../ui';

// Signing in: with Keystone, a user name and password (or a token the user already has) scoped to a
// project; Fresco forwards that one request to its Keystone. With noauth, only a project to act in.

interface Props {
  auth?: { mode: 'keystone' | 'noauth'; keystoneUri?: string };
  notice?: string;
  onSession: (s: Session) => void;
}

interface TokenBody {
  token: { expires_at: string; user: { name: string }; project?: { id: string; name: string }; roles?: Array<{ name: string }> };
}

function sessionOf(token: string, body: TokenBody): Session {
  const t = body.token;
  if (!t.project) throw new Error('Keystone gave a token without a project: Fresco needs a project-scoped token');
  return {
    mode: 'keystone', token, projectId: t.project.id, projectName: t.project.name, user: t.user.name,
    roles: (t.roles ?? []).map((r) => r.name.toLowerCase()), expiresAt: t.expires_at,
  };
}

function NoauthLogin({ onSession }: Pick<Props, 'onSession'>) {
  const [project, setProject] = useState('demo');
  return (
    <form class="card narrow" onSubmit={(e) => {
      e.preventDefault();
      onSession({ mode: 'noauth', projectId: project.trim(), roles: ['admin', 'member', 'reader'] });
    }}>
      <p>This Fresco runs without Keystone (<code>auth_strategy = noauth</code>): no sign-in is needed. Choose the project to work in.</p>
      <Field label="Project">{(id) => <input id={id} value={project} required onInput={(e) => setProject(e.currentTarget.value)} />}</Field>
      <button type="submit">Open the console</button>
    </form>
  );
}

function KeystoneLogin({ auth, onSession }: Pick<Props, 'auth' | 'onSession'>) {
  const [method, setMethod] = useState<'password' | 'token'>('password');
  const [f, setF] = useState({ user: '', password: '', token: '', project: '', domain: 'Default' });
  const [error, setError] = useState<Error>();
  const [busy, setBusy] = useState(false);
  const set = (k: keyof typeof f) => (e: Event) => setF({ ...f, [k]: (e.currentTarget as HTMLInputElement).value });
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    const domain = { name: f.domain };
    const identity = method === 'password'
      ? { methods: ['password'], password: { user: { name: f.user, domain, password: f.password } } }
      : { methods: ['token'], token: { id: f.token.trim() } };
    try {
      const { token, body } = await keystoneLogin({ identity, scope: { project: { name: f.project, domain } } });
      onSession(sessionOf(token, body as TokenBody));
    } catch (err) {
      setError(err as Error);
      setBusy(false);
    }
  };
  return (
    <form class="card narrow" onSubmit={submit} aria-busy={busy}>
      <p>Sign in with your OpenStack account{auth?.keystoneUri ? <> (Keystone at <code>{auth.keystoneUri}</code>)</> : null}.</p>
      <fieldset class="choice">
        <legend>Sign in with</legend>
        <label><input type="radio" name="method" checked={method === 'password'} onChange={() => setMethod('password')} /> a password</label>
        <label><input type="radio" name="method" checked={method === 'token'} onChange={() => setMethod('token')} /> a token I have</label>
      </fieldset>
      {method === 'password' ? (
        <>
          <Field label="User">{(id) => <input id={id} autoComplete="username" required value={f.user} onInput={set('user')} />}</Field>
          <Field label="Password">{(id) => <input id={id} type="password" autoComplete="current-password" required value={f.password} onInput={set('password')} />}</Field>
        </>
      ) : (
        <Field label="Token" hint="A Keystone token (X-Auth-Token); the console exchanges it for one scoped to the project below.">
          {(id, d) => <input id={id} aria-describedby={d} autoComplete="off" required value={f.token} onInput={set('token')} />}
        </Field>
      )}
      <Field label="Project">{(id) => <input id={id} required value={f.project} onInput={set('project')} />}</Field>
      <Field label="Domain">{(id) => <input id={id} required value={f.domain} onInput={set('domain')} />}</Field>
      <ErrorBox error={error} />
      <button type="submit" disabled={busy}>{busy ? 'Signing in…' : 'Sign in'}</button>
    </form>
  );
}

/** The sign-in screen for this Fresco's auth strategy. */
export function LoginPage({ auth, notice, onSession }: Props) {
  return (
    <main id="main" class="login">
      <PageTitle>Fresco console</PageTitle>
      {notice && <p class="notice" role="status">{notice}</p>}
      {!auth ? <p role="status">Connecting to Fresco…</p>
        : auth.mode === 'noauth' ? <NoauthLogin onSession={onSession} /> : <KeystoneLogin auth={auth} onSession={onSession} />}
    </main>
  );
}
