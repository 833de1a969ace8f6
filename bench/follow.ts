// Live-log latency: an async call of a function that writes "stamp <epoch s.µs>" on stderr every
// 50 ms (test image "stamps"), followed with GET .../log?follow=true on the same `fresco all`;
// each line's latency is its arrival at the follower minus the time in it (one host clock).
// Lines that arrive together with the follow's start (what was written before) are not counted.
import { api, APP, BenchFresco, PROJECT, runUrl } from './fresco';
import { Figure, quantile } from './measure';

export const STAMPS = 'fresco-test/stamps:1';

/** Follows `calls` calls one after another; p50/p99 of line → follower, in ms. */
export async function followLatency(f: BenchFresco, calls: number): Promise<Figure> {
  await api(f.url, 'POST', `/v1/${PROJECT}/apps/${APP}/routes`, {
    route: { path: '/stamps', image: STAMPS, type: 'async', timeout: 60, config: { STAMPS: '40', GAP: '0.05' } },
  }).catch(() => undefined);
  const ms: number[] = [];
  let live = 0;
  for (let i = 0; i < calls; i++) {
    const accepted = await (await fetch(runUrl(f, '/stamps'), { method: 'POST', body: 'x' })).json() as { call_id: string };
    const id = accepted.call_id;
    // Follow once it runs: its first lines then come in one chunk (not counted), the rest live.
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const c = await api<{ call: { started_at: string | null } }>(f.url, 'GET', `/v1/${PROJECT}/calls/${id}`);
      if (c.call.started_at) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    const res = await fetch(`${f.url}/v1/${PROJECT}/calls/${id}/log?follow=true`);
    if (res.headers.get('x-fresco-log-follow') === 'live') live++;
    const reader = res.body!.getReader();
    const dec = new TextDecoder();
    let first = true;
    let rest = '';
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      const at = Date.now();
      const text = rest + dec.decode(value, { stream: true });
      const lines = text.split('\n');
      rest = lines.pop()!;
      if (first) { first = false; continue; }
      for (const l of lines) {
        const m = /^stamp (\d+\.\d+)$/.exec(l);
        if (m) ms.push(at - Number(m[1]) * 1000);
      }
    }
  }
  return {
    name: 'live log: line written → follower (same process)', p50: quantile(ms, 0.5), p99: quantile(ms, 0.99), rps: NaN,
    note: `${ms.length} lines of ${calls} calls (${live} followed live), one every 50 ms`, count: ms.length,
  };
}
