import { useState } from 'preact/hooks';
import { api, projectPath } from '../api';
import { canWrite, Session } from '../session';
import { ErrorBox, Field, fieldError, FormError, href, PageTitle, parseConfig, TableWrap, Time, useLoad } from '../ui';

// The project's apps: a list, and (for those who may write) a form to create one.

/** An app as the API gives it (docs/api.md, Apps). */
export interface App { name: string; description: string; config: Record<string, string>; created_at: string; updated_at: string }

function CreateApp({ onCreated }: { onCreated: (name: string) => void }) {
  const [f, setF] = useState({ name: '', description: '', config: '' });
  const [error, setError] = useState<Error>();
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    try {
      const app: Record<string, unknown> = { name: f.name };
      if (f.description) app.description = f.description;
      if (f.config.trim()) app.config = parseConfig(f.config);
      await api('POST', projectPath('/apps'), { app });
      onCreated(f.name);
    } catch (err) {
      setError(err as Error);
    }
  };
  const set = (k: keyof typeof f) => (e: Event) => setF({ ...f, [k]: (e.currentTarget as HTMLInputElement).value });
  return (
    <form class="card" onSubmit={submit} aria-labelledby="create-app">
      <h2 id="create-app">Create an app</h2>
      <FormError error={error} fields={['name', 'description', 'config']} />
      <div class="row">
        <Field label="Name" error={fieldError(error, 'name')} hint="Letters, digits, _ . -">
          {(id, d) => <input id={id} aria-describedby={d} aria-invalid={!!fieldError(error, 'name')} value={f.name} onInput={set('name')} />}
        </Field>
        <Field label="Description" error={fieldError(error, 'description')}>
          {(id, d) => <input id={id} aria-describedby={d} value={f.description} onInput={set('description')} />}
        </Field>
      </div>
      <Field label="Config" error={fieldError(error, 'config')} hint="KEY=value, one a line: environment variables of every route of the app">
        {(id, d) => <textarea id={id} aria-describedby={d} rows={2} value={f.config} onInput={set('config')} />}
      </Field>
      <button type="submit">Create app</button>
    </form>
  );
}

/** #/apps */
export function AppsPage({ session }: { session: Session }) {
  const apps = useLoad(() => api<{ apps: App[] }>('GET', projectPath('/apps')), []);
  const list = apps.data?.apps ?? [];
  return (
    <>
      <PageTitle>Apps</PageTitle>
      <ErrorBox error={apps.error} />
      {apps.loading && !apps.data && <p role="status">Loading…</p>}
      {apps.data && (list.length === 0 ? <p>No apps in this project yet.</p> : (
        <TableWrap label="Apps">
          <table>
            <thead><tr><th scope="col">Name</th><th scope="col">Description</th><th scope="col">Created</th></tr></thead>
            <tbody>
              {list.map((a) => (
                <tr key={a.name}>
                  <th scope="row"><a href={href('apps', a.name)}>{a.name}</a></th>
                  <td>{a.description}</td>
                  <td><Time iso={a.created_at} /></td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      ))}
      {canWrite(session) && <CreateApp onCreated={(name) => { location.hash = href('apps', name); }} />}
    </>
  );
}
