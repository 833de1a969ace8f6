import { useState } from 'preact/hooks';
import { api, projectPath } from '../api';
import { canWrite, Session } from '../session';
import { confirmed, ErrorBox, Field, fieldError, FormError, formatConfig, href, PageTitle, parseConfig, TableWrap, useLoad } from '../ui';
import type { App } from './apps';
import { Route, RouteForm } from './route-form';

// One app: its settings (changed or deleted by writers) and its routes.

function EditApp({ app, onSaved }: { app: App; onSaved: () => void }) {
  const [f, setF] = useState({ description: app.description ?? '', config: formatConfig(app.config) });
  const [error, setError] = useState<Error>();
  const [saved, setSaved] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    setSaved(false);
    try {
      await api('PUT', projectPath(`/apps/${encodeURIComponent(app.name)}`), { app: { description: f.description, config: parseConfig(f.config) } });
      setSaved(true);
      onSaved();
    } catch (err) {
      setError(err as Error);
    }
  };
  return (
    <form class="card" onSubmit={submit} aria-labelledby="edit-app">
      <h2 id="edit-app">Change this app</h2>
      <FormError error={error} fields={['description', 'config']} />
      <Field label="Description" error={fieldError(error, 'description')}>
        {(id, d) => <input id={id} aria-describedby={d} value={f.description} onInput={(e) => setF({ ...f, description: e.currentTarget.value })} />}
      </Field>
      <Field label="Config" error={fieldError(error, 'config')} hint="KEY=value, one a line">
        {(id, d) => <textarea id={id} aria-describedby={d} rows={3} value={f.config} onInput={(e) => setF({ ...f, config: e.currentTarget.value })} />}
      </Field>
      <button type="submit">Save app</button>
      {saved && <span role="status" class="ok"> Saved.</span>}
    </form>
  );
}

function AppSummary({ app }: { app: App }) {
  const config = Object.entries(app.config ?? {});
  return (
    <dl class="facts">
      <dt>Description</dt><dd>{app.description || <span class="muted">–</span>}</dd>
      <dt>Config</dt><dd>{config.length ? config.map(([k, v]) => <code key={k}>{k}={v} </code>) : <span class="muted">none</span>}</dd>
    </dl>
  );
}

/** #/apps/{name} */
export function AppPage({ session, name }: { session: Session; name: string }) {
  const base = projectPath(`/apps/${encodeURIComponent(name)}`);
  const app = useLoad(() => api<{ app: App }>('GET', base), [name]);
  const routes = useLoad(() => api<{ routes: Route[] }>('GET', `${base}/routes`), [name]);
  const [deleteError, setDeleteError] = useState<Error>();
  const write = canWrite(session);
  const remove = async () => {
    if (!confirmed(`Delete app ${name}`)) return;
    try {
      await api('DELETE', base);
      location.hash = '#/apps';
    } catch (err) {
      setDeleteError(err as Error);
    }
  };
  const list = routes.data?.routes ?? [];
  return (
    <>
      <p class="crumbs"><a href="#/apps">Apps</a> /</p>
      <PageTitle>App {name}</PageTitle>
      <ErrorBox error={app.error} />
      {app.data && <AppSummary app={app.data.app} />}
      <section aria-labelledby="routes-h">
        <h2 id="routes-h">Routes</h2>
        <ErrorBox error={routes.error} />
        {routes.data && (list.length === 0 ? <p>No routes yet.</p> : (
          <TableWrap label="Routes">
            <table>
              <thead><tr><th scope="col">Path</th><th scope="col">Image</th><th scope="col">Type</th><th scope="col">Format</th><th scope="col">Public</th></tr></thead>
              <tbody>
                {list.map((r) => (
                  <tr key={r.path}>
                    <th scope="row"><a href={href('apps', name, 'routes', r.path)}>{r.path}</a></th>
                    <td><code>{r.image}</code></td><td>{r.type}</td><td>{r.format}</td><td>{r.is_public ? 'yes' : 'no'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        ))}
        <p><a href={`#/calls?app=${encodeURIComponent(name)}`}>Calls of this app</a></p>
      </section>
      {write && <RouteForm app={name} onSaved={(r) => { location.hash = href('apps', name, 'routes', r.path); }} />}
      {write && app.data && <EditApp app={app.data.app} onSaved={app.reload} />}
      {write && app.data && (
        <section class="card danger" aria-labelledby="delete-app">
          <h2 id="delete-app">Delete this app</h2>
          <p>An app is deleted only once its routes are.</p>
          <ErrorBox error={deleteError} />
          <button type="button" class="danger" onClick={remove}>Delete app {name}</button>
        </section>
      )}
    </>
  );
}
