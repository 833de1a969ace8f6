import uPlot from 'uplot';
import { useEffect, useRef } from 'preact/hooks';
import { api, projectPath } from './api';
import { ErrorBox, useLoad } from './ui';

// A route's last hour in pictures, from its call records (GET /v1/{project}/calls): how long its
// calls took (a histogram) and how many ran each minute, by status. Drawn with uPlot, bundled.

interface CallRow { status: string; created_at: string; duration_ms: number | null }

const HOUR_MS = 3_600_000;
const MAX_PAGES = 5;
const STATUS_COLOURS: Record<string, string> = {
  success: '#1a7f37', error: '#cf222e', timeout: '#bc4c00', cancelled: '#6e7781', running: '#0969da', queued: '#8250df',
};

/** The route's calls of the last hour, newest first, up to MAX_PAGES pages of 1000. */
async function lastHour(app: string, path: string): Promise<{ calls: CallRow[]; complete: boolean }> {
  const since = new Date(Date.now() - HOUR_MS).toISOString();
  const calls: CallRow[] = [];
  let marker: string | null = null;
  for (let page = 0; page < MAX_PAGES; page++) {
    const q = new URLSearchParams({ app, route: path, since, limit: '1000' });
    if (marker) q.set('marker', marker);
    const res: { calls: CallRow[]; next: string | null } = await api('GET', projectPath(`/calls?${q}`));
    calls.push(...res.calls);
    marker = res.next;
    if (!marker) return { calls, complete: true };
  }
  return { calls, complete: false };
}

function niceStep(max: number, bins: number): number {
  const raw = Math.max(1, max / bins);
  const mag = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
}

/** Durations (ms) of finished calls in equal bins: bin starts, counts and the bin width. */
export function histogram(durations: number[]): { bins: number[]; counts: number[]; step: number } {
  if (durations.length === 0) return { bins: [], counts: [], step: 1 };
  const step = niceStep(Math.max(...durations), 12);
  const n = Math.floor(Math.max(...durations) / step) + 1;
  const counts = new Array<number>(n).fill(0);
  for (const d of durations) counts[Math.floor(d / step)]++;
  return { bins: counts.map((_c, i) => i * step), counts, step };
}

/** Calls per minute over the last hour, one series per status seen: [minute starts (s), ...counts]. */
export function perMinute(calls: CallRow[], now = Date.now()): { x: number[]; series: Array<[string, number[]]> } {
  const start = Math.floor((now - HOUR_MS) / 60_000) * 60_000;
  const x = Array.from({ length: 61 }, (_v, i) => (start + i * 60_000) / 1000);
  const by = new Map<string, number[]>();
  for (const c of calls) {
    const i = Math.floor((Date.parse(c.created_at) - start) / 60_000);
    if (i < 0 || i > 60) continue;
    if (!by.has(c.status)) by.set(c.status, new Array<number>(61).fill(0));
    by.get(c.status)![i]++;
  }
  return { x, series: [...by.entries()].sort(([a], [b]) => a.localeCompare(b)) };
}

/** A uPlot chart that follows its container's width. */
function Plot({ opts, data, label }: { opts: Omit<uPlot.Options, 'width'>; data: uPlot.AlignedData; label: string }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current!;
    const plot = new uPlot({ ...opts, width: Math.max(240, el.clientWidth) } as uPlot.Options, data, el);
    const ro = new ResizeObserver(() => plot.setSize({ width: Math.max(240, el.clientWidth), height: opts.height }));
    ro.observe(el);
    return () => { ro.disconnect(); plot.destroy(); };
  }, [data]);
  return <div ref={box} class="plot" role="img" aria-label={label} />;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** The two pictures of one route's last hour. */
export function RouteCharts({ app, path }: { app: string; path: string }) {
  const data = useLoad(() => lastHour(app, path), [app, path]);
  if (data.error) return <ErrorBox error={data.error} />;
  if (!data.data) return <p role="status">Loading the last hour…</p>;
  const { calls, complete } = data.data;
  const durations = calls.map((c) => c.duration_ms).filter((d): d is number => d !== null).sort((a, b) => a - b);
  const { bins, counts, step } = histogram(durations);
  const pm = perMinute(calls);
  const summary = durations.length
    ? `${durations.length} finished calls; median ${percentile(durations, 50)} ms, 95th percentile ${percentile(durations, 95)} ms`
    : 'no finished calls';
  return (
    <section class="card" aria-labelledby="charts-h">
      <h2 id="charts-h">The last hour</h2>
      <p>{calls.length} {calls.length === 1 ? 'call' : 'calls'}{complete ? '' : ` (the newest ${calls.length} only)`}. <button type="button" class="link" onClick={data.reload}>Refresh</button></p>
      <div class="charts">
        <figure>
          <figcaption>Latency: {summary}</figcaption>
          {durations.length > 0 && (
            <Plot label={`Latency histogram: ${summary}`} data={[bins, counts]} opts={{
              height: 200, legend: { show: false }, cursor: { show: false },
              scales: { x: { time: false, range: [0, bins.length * step] }, y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
              axes: [{ label: 'duration (ms)' }, { label: 'calls' }],
              series: [{}, { label: 'calls', fill: '#0969da66', stroke: '#0969da', paths: uPlot.paths.bars!({ size: [0.9], align: 1 }), points: { show: false } }],
            }} />
          )}
        </figure>
        <figure>
          <figcaption>Calls per minute by status</figcaption>
          {pm.series.length > 0 ? (
            <Plot label={`Calls per minute: ${pm.series.map(([s, v]) => `${s} ${v.reduce((a, b) => a + b, 0)}`).join(', ')}`}
              data={[pm.x, ...pm.series.map(([, v]) => v)]} opts={{
                height: 200, cursor: { show: false },
                axes: [{}, { label: 'calls / min' }],
                series: [{}, ...pm.series.map(([s]) => ({ label: s, stroke: STATUS_COLOURS[s] ?? '#57606a', width: 2, points: { show: true, size: 4 } }))],
              }} />
          ) : <p class="muted">No calls in the last hour.</p>}
        </figure>
      </div>
    </section>
  );
}
