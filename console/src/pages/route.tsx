import { useState } from 'preact/hooks';
import { api, runRoute } from '../api';
import { RouteCharts } from '../charts';
import { canWrite, Session } from '../session';
import { confirmed, ErrorBox, Field, href, PageTitle, useLoad } from '../ui';
import { Route, RouteForm, routeUrl } from './route-form';

// One route: what it runs, a run with a body and its answer, its last hour in pictures, and
// (for writers) its settings and deletion.

interface RunAnswer { status: number; body: unknown; callId?: string }

function RunPanel({ app, route }: { app: string; route: Route }) {
  const [body, setBody] = useState('');
  const [type, setType] = useState('text/plain');
  const [answer, setAnswer] = useState<RunAnswer>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error>();
  const run = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setAnswer(undefined);
    setError(undefined);
    try {
      setAnswer(await runRoute(app, route.path, body, type));
    } catch (err) {
      setError(err as Error);
    } finally {
      setBusy(false);
    }
  };
  const b = answer?.body as { result?: string; call_id?: string; message?: string; error?: { message: string; code: string } } | undefined;
  const callId = b?.call_id ?? answer?.callId;
  return (
    <form class="card" onSubmit={run} aria-labelledby="run-h">
      <h2 id="run-h">Run it</h2>
      <div class="row">
        <Field label="Request body" hint="The function reads it on stdin">
          {(id, d) => <textarea id={id} aria-describedby={d} rows={3} value={body} onInput={(e) => setBody(e.currentTarget.value)} />}
        </Field>
        <Field label="Content type">
          {(id) => (
            <select id={id} value={type} onChange={(e) => setType(e.currentTarget.value)}>
              <option>text/plain</option><option>application/json</option><option>application/octet-stream</option>
            </select>
          )}
        </Field>
      </div>
      <button type="submit" disabled={busy}>{busy ? 'Running…' : 'Run'}</button>
      <ErrorBox error={error} />
      {answer && (
        <div class={`answer ${answer.status < 300 ? 'good' : 'bad'}`} role="status" aria-label="Answer">
          <p><strong>HTTP {answer.status}</strong> {b?.error ? <span class="error-text">{b.error.message} ({b.error.code})</span> : b?.message}</p>
          {b?.result !== undefined && <pre class="output" aria-label="Result">{b.result}</pre>}
          {typeof answer.body === 'string' && answer.body && <pre class="output">{answer.body}</pre>}
          {callId && <p><a href={href('calls', callId)}>Call {callId}</a>: its status, timings and log</p>}
        </div>
      )}
    </form>
  );
}

function RouteFacts({ r }: { r: Route }) {
  return (
    <dl class="facts">
      <dt>Image</dt><dd><code>{r.image}</code></dd>
      <dt>Type / format</dt><dd>{r.type} / {r.format}</dd>
      <dt>Memory</dt><dd>{r.memory} MiB</dd>
      <dt>Timeout</dt><dd>{r.timeout} s (idle {r.idle_timeout} s)</dd>
      <dt>Max concurrency</dt><dd>{r.max_concurrency}</dd>
      <dt>Public</dt><dd>{r.is_public ? 'yes' : 'no'}</dd>
    </dl>
  );
}

/** #/apps/{app}/routes/{path} */
export function RoutePage({ session, app, path }: { session: Session; app: string; path: string }) {
  const url = routeUrl(app, path);
  const route = useLoad(() => api<{ route: Route }>('GET', url), [url]);
  const [deleteError, setDeleteError] = useState<Error>();
  const write = canWrite(session);
  const r = route.data?.route;
  const remove = async () => {
    if (!confirmed(`Delete route ${path}`)) return;
    try {
      await api('DELETE', url);
      location.hash = href('apps', app);
    } catch (err) {
      setDeleteError(err as Error);
    }
  };
  return (
    <>
      <p class="crumbs"><a href="#/apps">Apps</a> / <a href={href('apps', app)}>{app}</a> /</p>
      <PageTitle>Route {path}</PageTitle>
      <ErrorBox error={route.error} />
      {r && <RouteFacts r={r} />}
      <p><a href={`#/calls?app=${encodeURIComponent(app)}&route=${encodeURIComponent(path)}`}>Calls of this route</a></p>
      {r && write && <RunPanel app={app} route={r} />}
      {r && <RouteCharts app={app} path={path} />}
      {r && write && <RouteForm key={r.updated_at} app={app} route={r} onSaved={route.reload} />}
      {r && write && (
        <section class="card danger" aria-labelledby="delete-route">
          <h2 id="delete-route">Delete this route</h2>
          <ErrorBox error={deleteError} />
          <button type="button" class="danger" onClick={remove}>Delete route {path}</button>
        </section>
      )}
    </>
  );
}
