import { useState } from 'preact/hooks';
import { api, projectPath } from '../api';
import { canWrite, Session } from '../session';
import { confirmed, ErrorBox, Field, fieldError, FormError, href, PageTitle, TableWrap, Time, useLoad } from '../ui';
import type { App } from './apps';
import type { Route } from './route-form';

// The project's triggers: list, create, delete. An alarm trigger's callback URL is shown when the API
// gives it (only to roles that may run the route: the URL is as good as a run).

interface Trigger {
  id: string; name: string; type: string; app: string; route: string; filter: Record<string, unknown>;
  schedule: string | null; timezone: string | null; callback_url: string | null; enabled: boolean;
  last_fired_at: string | null;
}

const TYPES = ['schedule', 'swift', 'notification', 'alarm'];
const FILTER_FIELDS: Record<string, string[]> = {
  swift: ['container', 'prefix', 'suffix', 'methods'], notification: ['exchange', 'event_type', 'publisher_id'], alarm: [], schedule: [],
};

function filterOf(type: string, f: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of FILTER_FIELDS[type]) {
    const v = f[k]?.trim();
    if (!v) continue;
    out[k] = k === 'methods' ? v.split(/[\s,]+/).filter(Boolean) : v;
  }
  return out;
}

function CreateTrigger({ onCreated }: { onCreated: () => void }) {
  const [f, setF] = useState<Record<string, string>>({ name: '', type: 'schedule', app: '', route: '', schedule: '', timezone: '' });
  const [error, setError] = useState<Error>();
  const apps = useLoad(() => api<{ apps: App[] }>('GET', projectPath('/apps')), []);
  const routes = useLoad(() => f.app
    ? api<{ routes: Route[] }>('GET', projectPath(`/apps/${encodeURIComponent(f.app)}/routes`)) : Promise.resolve({ routes: [] }), [f.app]);
  const set = (k: string) => (e: Event) => setF({ ...f, [k]: (e.currentTarget as HTMLInputElement).value });
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    const trigger: Record<string, unknown> = { name: f.name, type: f.type, app: f.app, route: f.route, filter: filterOf(f.type, f) };
    if (f.type === 'schedule') {
      trigger.schedule = f.schedule;
      if (f.timezone) trigger.timezone = f.timezone;
    }
    try {
      await api('POST', projectPath('/triggers'), { trigger });
      setF({ ...f, name: '' });
      onCreated();
    } catch (err) {
      setError(err as Error);
    }
  };
  const text = (k: string, label: string, hint?: string) => (
    <Field label={label} error={fieldError(error, k)} hint={hint}>
      {(id, d) => <input id={id} aria-describedby={d} aria-invalid={!!fieldError(error, k)} value={f[k] ?? ''} onInput={set(k)} />}
    </Field>
  );
  return (
    <form class="card" onSubmit={submit} aria-labelledby="create-trigger">
      <h2 id="create-trigger">Create a trigger</h2>
      <FormError error={error} fields={['name', 'type', 'app', 'route', 'schedule', 'timezone', 'filter']} />
      <div class="row">
        {text('name', 'Name')}
        <Field label="Trigger type" error={fieldError(error, 'type')}>
          {(id) => <select id={id} value={f.type} onChange={set('type')}>{TYPES.map((t) => <option key={t}>{t}</option>)}</select>}
        </Field>
        <Field label="App" error={fieldError(error, 'app')}>
          {(id) => (
            <select id={id} value={f.app} onChange={(e) => setF({ ...f, app: e.currentTarget.value, route: '' })}>
              <option value="">choose an app</option>
              {(apps.data?.apps ?? []).map((a) => <option key={a.name}>{a.name}</option>)}
            </select>
          )}
        </Field>
        <Field label="Route" error={fieldError(error, 'route')}>
          {(id) => (
            <select id={id} value={f.route} onChange={set('route')}>
              <option value="">choose a route</option>
              {(routes.data?.routes ?? []).map((r) => <option key={r.path}>{r.path}</option>)}
            </select>
          )}
        </Field>
      </div>
      {f.type === 'schedule' && <div class="row">{text('schedule', 'Schedule', 'cron, e.g. */5 * * * *')}{text('timezone', 'Time zone', 'default UTC')}</div>}
      {f.type === 'swift' && <div class="row">{text('container', 'Container')}{text('prefix', 'Prefix')}{text('suffix', 'Suffix')}{text('methods', 'Methods', 'default PUT, DELETE')}</div>}
      {f.type === 'notification' && <div class="row">{text('exchange', 'Exchange')}{text('event_type', 'Event type', 'e.g. compute.instance.create.*')}{text('publisher_id', 'Publisher')}</div>}
      {f.type === 'alarm' && <p class="hint">Fresco gives an alarm trigger a callback URL for Aodh's alarm_actions.</p>}
      {fieldError(error, 'filter') && <p class="field-error" role="alert">{fieldError(error, 'filter')}</p>}
      <button type="submit">Create trigger</button>
    </form>
  );
}

function describe(t: Trigger): string {
  if (t.type === 'schedule') return `${t.schedule} (${t.timezone ?? 'UTC'})`;
  return Object.entries(t.filter ?? {}).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(',') : String(v)}`).join(' ') || '–';
}

/** #/triggers */
export function TriggersPage({ session }: { session: Session }) {
  const triggers = useLoad(() => api<{ triggers: Trigger[] }>('GET', projectPath('/triggers')), []);
  const [deleteError, setDeleteError] = useState<Error>();
  const write = canWrite(session);
  const remove = async (t: Trigger) => {
    if (!confirmed(`Delete trigger ${t.name}`)) return;
    try {
      await api('DELETE', projectPath(`/triggers/${encodeURIComponent(t.id)}`));
      triggers.reload();
    } catch (err) {
      setDeleteError(err as Error);
    }
  };
  const list = triggers.data?.triggers ?? [];
  return (
    <>
      <PageTitle>Triggers</PageTitle>
      <ErrorBox error={triggers.error ?? deleteError} />
      {triggers.data && (list.length === 0 ? <p>No triggers in this project.</p> : (
        <TableWrap label="Triggers">
          <table>
            <thead><tr>
              <th scope="col">Name</th><th scope="col">Type</th><th scope="col">Runs</th><th scope="col">When</th>
              <th scope="col">Enabled</th><th scope="col">Last fired</th><th scope="col">Callback URL</th>{write && <th scope="col"><span class="sr-only">Actions</span></th>}
            </tr></thead>
            <tbody>
              {list.map((t) => (
                <tr key={t.id}>
                  <th scope="row">{t.name}</th><td>{t.type}</td>
                  <td><a href={href('apps', t.app, 'routes', t.route)}>{t.app} {t.route}</a></td>
                  <td>{describe(t)}</td><td>{t.enabled ? 'yes' : 'no'}</td><td><Time iso={t.last_fired_at} /></td>
                  <td>{t.callback_url ? <code class="url">{t.callback_url}</code> : <span class="muted">–</span>}</td>
                  {write && <td><button type="button" class="danger small" onClick={() => remove(t)} aria-label={`Delete trigger ${t.name}`}>Delete</button></td>}
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      ))}
      {write && <CreateTrigger onCreated={triggers.reload} />}
    </>
  );
}
