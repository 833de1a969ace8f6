import { useState } from 'preact/hooks';
import { api, projectPath } from '../api';
import { ErrorBox, Field, href, PageTitle, Status, TableWrap, Time, useLoad } from '../ui';
import type { App } from './apps';

// The project's calls, newest first, filtered by app, route, status and time, a page at a time.
// The filters and the page live in the location hash, so a filtered list can be linked and reloaded.

/** A call record as the API gives it (docs/api.md, Calls). */
export interface Call {
  id: string; app: string; route: string; status: string; trigger: string; kind: string | null; cold: boolean | null;
  created_at: string; started_at: string | null; completed_at: string | null; duration_ms: number | null;
  exit_code: number | null; error: string | null; result: string | null; truncated: boolean; log_truncated: boolean;
  attempts: number; trigger_id: string | null; progress?: number | null; progress_message?: string | null;
}

const STATUSES = ['queued', 'running', 'success', 'error', 'timeout', 'cancelled'];
const PERIODS: Array<[string, string]> = [['', 'any time'], ['15', 'last 15 minutes'], ['60', 'last hour'], ['1440', 'last day'], ['10080', 'last week']];
const PAGE_SIZES = ['10', '25', '50', '100'];

function toHash(q: Record<string, string>): string {
  const s = new URLSearchParams(Object.entries(q).filter(([, v]) => v)).toString();
  return `#/calls${s ? `?${s}` : ''}`;
}

function Filters({ query }: { query: URLSearchParams }) {
  const apps = useLoad(() => api<{ apps: App[] }>('GET', projectPath('/apps')), []);
  const [f, setF] = useState({
    app: query.get('app') ?? '', route: query.get('route') ?? '', status: query.get('status') ?? '',
    within: query.get('within') ?? '', limit: query.get('limit') ?? '25',
  });
  const set = (k: keyof typeof f) => (e: Event) => setF({ ...f, [k]: (e.currentTarget as HTMLInputElement).value });
  return (
    <form class="card filters" role="search" aria-label="Filter calls" onSubmit={(e) => { e.preventDefault(); location.hash = toHash(f); }}>
      <Field label="App">{(id) => (
        <select id={id} value={f.app} onChange={set('app')}>
          <option value="">all apps</option>
          {(apps.data?.apps ?? []).map((a) => <option key={a.name}>{a.name}</option>)}
          {f.app && !apps.data?.apps.some((a) => a.name === f.app) && <option>{f.app}</option>}
        </select>
      )}</Field>
      <Field label="Route">{(id) => <input id={id} placeholder="/path" value={f.route} onInput={set('route')} />}</Field>
      <Field label="Status">{(id) => (
        <select id={id} value={f.status} onChange={set('status')}>
          <option value="">any status</option>{STATUSES.map((s) => <option key={s}>{s}</option>)}
        </select>
      )}</Field>
      <Field label="Time">{(id) => (
        <select id={id} value={f.within} onChange={set('within')}>{PERIODS.map(([v, l]) => <option key={v} value={v}>{l}</option>)}</select>
      )}</Field>
      <Field label="Per page">{(id) => (
        <select id={id} value={f.limit} onChange={set('limit')}>
          {[...new Set([...PAGE_SIZES, f.limit])].map((n) => <option key={n}>{n}</option>)}
        </select>
      )}</Field>
      <button type="submit">Filter</button>
    </form>
  );
}

/** #/calls?app=&route=&status=&within=(minutes)&limit=&marker=&back=(previous markers, comma-separated) */
export function CallsPage({ query }: { query: URLSearchParams }) {
  const marker = query.get('marker') ?? '';
  const calls = useLoad(() => {
    const q = new URLSearchParams({ limit: query.get('limit') || '25' });
    for (const k of ['app', 'route', 'status']) if (query.get(k)) q.set(k, query.get(k)!);
    const within = Number(query.get('within'));
    if (within > 0) q.set('since', new Date(Date.now() - within * 60_000).toISOString());
    if (marker) q.set('marker', marker);
    return api<{ calls: Call[]; next: string | null }>('GET', projectPath(`/calls?${q}`));
  }, [query.toString()]);
  const base: Record<string, string> = {};
  for (const k of ['app', 'route', 'status', 'within', 'limit']) base[k] = query.get(k) ?? '';
  const back = (query.get('back') ?? '').split(',').filter((m) => m !== '');
  const pageNo = back.length + (marker ? 1 : 0) + 1;
  const next = calls.data?.next;
  const olderHash = next ? toHash({ ...base, marker: next, back: [...back, ...(marker ? [marker] : [])].join(',') || '' }) : undefined;
  const newerHash = marker ? toHash({ ...base, marker: back[back.length - 1] ?? '', back: back.slice(0, -1).join(',') }) : undefined;
  const list = calls.data?.calls ?? [];
  return (
    <>
      <PageTitle>Calls</PageTitle>
      <Filters query={query} />
      <ErrorBox error={calls.error} />
      {calls.loading && !calls.data && <p role="status">Loading…</p>}
      {calls.data && (list.length === 0 ? <p>No calls match.</p> : (
        <TableWrap label="Calls, newest first">
          <table>
            <caption>Page {pageNo}, newest first</caption>
            <thead><tr>
              <th scope="col">Created</th><th scope="col">App</th><th scope="col">Route</th><th scope="col">Status</th>
              <th scope="col">Kind</th><th scope="col">Duration</th><th scope="col">Exit</th><th scope="col">Trigger</th>
            </tr></thead>
            <tbody>
              {list.map((c) => (
                <tr key={c.id}>
                  <th scope="row"><a href={href('calls', c.id)}><Time iso={c.created_at} /><span class="sr-only"> call {c.id}</span></a></th>
                  <td>{c.app}</td><td>{c.route}</td><td><Status status={c.status} /></td><td>{c.kind ?? '–'}</td>
                  <td>{c.duration_ms === null ? '–' : `${c.duration_ms} ms`}</td><td>{c.exit_code ?? '–'}</td><td>{c.trigger}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      ))}
      <nav class="pager" aria-label="Pages">
        {newerHash && <a href={newerHash}>← Newer</a>}
        {olderHash && <a href={olderHash}>Older →</a>}
      </nav>
    </>
  );
}
