// `npm run bench:runtimes`: functions from code (docs/runtimes.md) on the real Fresco
// (`start(config, 'all')`, noauth, its own database): the first call of a new code function,
// right after its route is created (its container, started at creation, may still be starting)
// and once that container runs (what a user who deploys, then calls, sees), and warm calls of a Python and a Node function at concurrency 1, beside a hot image route (the
// C `http` test image) measured the same way in the same run.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { packageRoot } from '../src/executor/options';
import { api, APP, HOT_HTTP, openBenchDb, PROJECT, startFresco, stateDirName } from './fresco';
import { Figure, print, quantile, timedLoop } from './measure';
import { containersOfRoute } from './runtime-containers';

const SECONDS = Math.min(10, Math.max(1, Number(process.env.BENCH_SECONDS ?? 5)));
const FIRST_CALLS = Math.max(1, Number(process.env.BENCH_FIRST_CALLS ?? 5));
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function post(url: string, body: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => (res.statusCode === 200 ? resolve()
        : reject(new Error(`POST ${url}: HTTP ${res.statusCode} ${Buffer.concat(chunks).toString()}`))));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function uploadRoute(base: string, route: object, name: string, content: Buffer): Promise<void> {
  const form = new FormData();
  form.append('route', JSON.stringify(route));
  form.append('file', new Blob([new Uint8Array(content)]), name);
  const res = await fetch(`${base}/v1/${PROJECT}/apps/${APP}/routes`, { method: 'POST', body: form });
  if (!res.ok) throw new Error(`creating ${JSON.stringify(route)}: HTTP ${res.status} ${await res.text()}`);
}

async function main(): Promise<void> {
  const root = packageRoot();
  const images: Record<string, string> = {};
  for (const rt of ['python3', 'nodejs']) {
    const out = execFileSync('bash', [path.join(root, 'runtimes/build.sh'), rt], { encoding: 'utf8' });
    images[rt] = /(fresco\/runtime-[a-z0-9]+:[0-9a-f]{12})/.exec(out)![1];
  }
  const stateDir = stateDirName();
  const db = await openBenchDb(stateDir);
  const f = await startFresco(db, { name: 'rt' });
  const figs: Figure[] = [];
  try {
    const base = f.url;
    for (const [name, image] of Object.entries(images)) await api(base, 'POST', '/v1/runtimes', { runtime: { name, image } });
    await api(base, 'POST', `/v1/${PROJECT}/apps`, { app: { name: APP } });
    await api(base, 'POST', `/v1/${PROJECT}/apps/${APP}/routes`, { route: { path: '/hot', image: HOT_HTTP, format: 'http' } });
    const code = {
      python3: { file: 'hello.py', src: fs.readFileSync(path.join(root, 'examples/python-hello/hello.py')) },
      nodejs: { file: 'hello.js', src: fs.readFileSync(path.join(root, 'examples/node-hello/hello.js')) },
    };
    const runUrl = (p: string) => `${base}/v1/r/${PROJECT}/${APP}${p}`;
    const first = (name: string, ms: number[]): Figure =>
      ({ name, p50: quantile(ms, 0.5), p99: quantile(ms, 0.99), rps: 1000 / quantile(ms, 0.5), note: `${ms.length} new routes`, count: ms.length });
    for (const rt of ['python3', 'nodejs'] as const) {
      // Each first call: a new route with a package never seen (a unique comment changes its digest).
      const now: number[] = [];
      const ready: number[] = [];
      for (let i = 0; i < 2 * FIRST_CALLS; i++) {
        const p = `/first-${rt}-${i}`;
        const marker = rt === 'python3' ? `\n# ${p}\n` : `\n// ${p}\n`;
        await uploadRoute(base, { path: p, runtime: rt, entry: 'hello.main' }, code[rt].file, Buffer.concat([code[rt].src, Buffer.from(marker)]));
        // Every other route: wait until its container runs and has had a moment to load the runtime.
        if (i % 2 === 1) {
          while (containersOfRoute(p) === 0) await new Promise((r) => setTimeout(r, 20));
          await new Promise((r) => setTimeout(r, 1000));
        }
        const t = process.hrtime.bigint();
        await post(runUrl(p), '{"name": "Ann"}');
        (i % 2 === 1 ? ready : now).push(Number(process.hrtime.bigint() - t) / 1e6);
      }
      figs.push(first(`first call of a new ${rt} function, right after creation`, now));
      figs.push(first(`first call of a new ${rt} function, its container up`, ready));
      await uploadRoute(base, { path: `/warm-${rt}`, runtime: rt, entry: 'hello.main' }, code[rt].file, code[rt].src);
      await post(runUrl(`/warm-${rt}`), '{"name": "Ann"}');
    }
    await post(runUrl('/hot'), 'Bob');
    // Interleaved, so that a busy machine's noise falls on all three alike.
    const rows: Record<string, Figure[]> = { image: [], python3: [], nodejs: [] };
    for (let round = 0; round < 2; round++) {
      rows.image.push(await timedLoop('hot image route (C, http), c=1', SECONDS / 2, () => post(runUrl('/hot'), 'Bob')));
      for (const rt of ['python3', 'nodejs']) {
        rows[rt].push(await timedLoop(`warm ${rt} function, c=1`, SECONDS / 2, () => post(runUrl(`/warm-${rt}`), '{"name": "Ann"}')));
      }
    }
    const best = (list: Figure[]) => list.reduce((a, b) => (b.rps > a.rps ? b : a));
    const image = best(rows.image);
    figs.push(image);
    for (const rt of ['python3', 'nodejs']) {
      const fig = best(rows[rt]);
      figs.push({ ...fig, note: `${fig.note}; p50 ${(fig.p50 / image.p50).toFixed(2)}× the image route's (target ≤ 1.5×)` });
    }
  } finally {
    await f.stop();
    await db.drop();
    fs.rmSync(stateDir, { recursive: true, force: true });
  }
  print(figs);
}

main().catch((err) => {
  process.stderr.write(`${err.stack ?? err}\n`);
  process.exit(1);
});
