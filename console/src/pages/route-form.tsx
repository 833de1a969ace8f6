import { useState } from 'preact/hooks';
import { api, projectPath } from '../api';
import { Field, fieldError, FormError, formatConfig, formatHeaders, parseConfig, parseHeaders } from '../ui';

// Creating or changing a route (docs/api.md, Routes): every field, and the API's message next to
// the field it names.

/** A route as the API gives it (docs/api.md, Routes). */
export interface Route {
  path: string; image: string; type: string; format: string; memory: number; timeout: number; idle_timeout: number;
  max_concurrency: number; is_public: boolean; config: Record<string, string>; headers: Record<string, string[]>;
  created_at: string; updated_at: string;
}

const FIELDS = ['path', 'image', 'type', 'format', 'memory', 'timeout', 'idle_timeout', 'max_concurrency', 'is_public', 'config', 'headers'];

/** The route path in API URLs: without its leading "/". */
export function routeUrl(app: string, path: string): string {
  return projectPath(`/apps/${encodeURIComponent(app)}/routes/${path.replace(/^\//, '').split('/').map(encodeURIComponent).join('/')}`);
}

function initial(r?: Route) {
  return {
    path: r?.path ?? '/', image: r?.image ?? '', type: r?.type ?? 'sync', format: r?.format ?? 'default',
    memory: String(r?.memory ?? ''), timeout: String(r?.timeout ?? ''), idle_timeout: String(r?.idle_timeout ?? ''),
    max_concurrency: String(r?.max_concurrency ?? ''), is_public: r?.is_public ?? false,
    config: formatConfig(r?.config), headers: formatHeaders(r?.headers),
  };
}

/** A number field's value as the API takes it; left as text (for the API to name) when it is not a number. */
function num(v: string): number | string | undefined {
  if (v.trim() === '') return undefined;
  return Number.isFinite(Number(v)) ? Number(v) : v;
}

/** The form; `route` set edits it (PUT), unset creates one in `app` (POST). */
export function RouteForm({ app, route, onSaved }: { app: string; route?: Route; onSaved: (r: Route) => void }) {
  const [f, setF] = useState(() => initial(route));
  const [error, setError] = useState<Error>();
  const [busy, setBusy] = useState(false);
  const set = (k: keyof typeof f) => (e: Event) => setF({ ...f, [k]: (e.currentTarget as HTMLInputElement).value });
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    setBusy(true);
    const body: Record<string, unknown> = {
      image: f.image, type: f.type, format: f.format, is_public: f.is_public,
      memory: num(f.memory), timeout: num(f.timeout), idle_timeout: num(f.idle_timeout), max_concurrency: num(f.max_concurrency),
      config: parseConfig(f.config), headers: parseHeaders(f.headers),
    };
    if (!route) body.path = f.path;
    for (const k of Object.keys(body)) if (body[k] === undefined) delete body[k];
    try {
      const res = route
        ? await api<{ route: Route }>('PUT', routeUrl(app, route.path), { route: body })
        : await api<{ route: Route }>('POST', projectPath(`/apps/${encodeURIComponent(app)}/routes`), { route: body });
      onSaved(res.route);
    } catch (err) {
      setError(err as Error);
    } finally {
      setBusy(false);
    }
  };
  const text = (k: keyof typeof f, label: string, hint?: string, type: 'text' | 'number' = 'text') => (
    <Field label={label} error={fieldError(error, k)} hint={hint}>
      {(id, d) => {
        const common = { id, 'aria-describedby': d, 'aria-invalid': !!fieldError(error, k), value: f[k] as string, onInput: set(k) };
        return type === 'number' ? <input type="number" {...common} /> : <input type="text" {...common} />;
      }}
    </Field>
  );
  const select = (k: 'type' | 'format', label: string, options: string[]) => (
    <Field label={label} error={fieldError(error, k)}>
      {(id, d) => <select id={id} aria-describedby={d} value={f[k]} onChange={set(k)}>{options.map((o) => <option key={o}>{o}</option>)}</select>}
    </Field>
  );
  const id = route ? 'edit-route' : 'create-route';
  return (
    <form class="card" onSubmit={submit} aria-labelledby={id}>
      <h2 id={id}>{route ? 'Change this route' : 'Create a route'}</h2>
      <FormError error={error} fields={FIELDS} />
      <div class="row">
        {!route && text('path', 'Path', 'e.g. /hello or /img/resize')}
        {text('image', 'Image', 'a Docker image, e.g. fresco/hello:latest')}
      </div>
      <div class="row">
        {select('type', 'Type', ['sync', 'async'])}
        {select('format', 'Format', ['default', 'http', 'json'])}
        {text('memory', 'Memory (MiB)', 'default 128', 'number')}
        {text('timeout', 'Timeout (s)', 'default 30', 'number')}
        {text('idle_timeout', 'Idle timeout (s)', 'default 30', 'number')}
        {text('max_concurrency', 'Max concurrency', 'default 1', 'number')}
      </div>
      <div class="field checkbox">
        <input id={`${id}-public`} type="checkbox" checked={f.is_public} onChange={(e) => setF({ ...f, is_public: e.currentTarget.checked })} />
        <label for={`${id}-public`}>Public: also answer on /r/{app}{f.path} without a token</label>
        {fieldError(error, 'is_public') && <p class="field-error" role="alert">{fieldError(error, 'is_public')}</p>}
      </div>
      <div class="row">
        <Field label="Config" error={fieldError(error, 'config')} hint="KEY=value, one a line">
          {(i, d) => <textarea id={i} aria-describedby={d} rows={2} value={f.config} onInput={set('config')} />}
        </Field>
        <Field label="Headers" error={fieldError(error, 'headers')} hint="Name: value, one a line (added to /r answers)">
          {(i, d) => <textarea id={i} aria-describedby={d} rows={2} value={f.headers} onInput={set('headers')} />}
        </Field>
      </div>
      <button type="submit" disabled={busy}>{route ? 'Save route' : 'Create route'}</button>
    </form>
  );
}
