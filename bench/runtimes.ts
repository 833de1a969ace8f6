// `npm run bench:runtimes`: functions from code (docs/runtimes.md) on the real Fresco
// (`start(config, 'all')`, noauth, its own database): the first call of a new code function right
// after its route is created, without waiting runtime containers (its own container, started at
// creation, is still starting) and with one waiting (the default: it is specialised with the code),
// and warm calls of a Python and a Node function at concurrency 1, beside a hot image route (the
// C `http` test image) measured the same way in the same run.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { packageRoot } from '../src/executor/options';
import { api, APP, BenchFresco, HOT_HTTP, openBenchDb, PROJECT, startFresco, stateDirName } from './fresco';
import { Figure, print, quantile, timedLoop } from './measure';

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

type Rt = 'python3' | 'nodejs';

async function main(): Promise<void> {
  const root = packageRoot();
  const images = {} as Record<Rt, string>;
  for (const rt of ['python3', 'nodejs'] as const) {
    const out = execFileSync('bash', [path.join(root, 'runtimes/build.sh'), rt], { encoding: 'utf8' });
    images[rt] = /(fresco\/runtime-[a-z0-9]+:[0-9a-f]{12})/.exec(out)![1];
  }
  const code = {
    python3: { file: 'hello.py', src: fs.readFileSync(path.join(root, 'examples/python-hello/hello.py')) },
    nodejs: { file: 'hello.js', src: fs.readFileSync(path.join(root, 'examples/node-hello/hello.js')) },
  };
  const first = (name: string, ms: number[]): Figure =>
    ({ name, p50: quantile(ms, 0.5), p99: quantile(ms, 0.99), rps: 1000 / quantile(ms, 0.5), note: `${ms.length} new routes`, count: ms.length });
  // FIRST_CALLS new routes, each with a package never seen (a unique comment changes its digest),
  // created then called at once; `before` runs ahead of each creation, outside the measure.
  const firstCalls = async (base: string, rt: Rt, tag: string, before: () => Promise<void>): Promise<number[]> => {
    const ms: number[] = [];
    for (let i = 0; i < FIRST_CALLS; i++) {
      const p = `/first-${tag}-${rt}-${i}`;
      const marker = rt === 'python3' ? `\n# ${p}\n` : `\n// ${p}\n`;
      await before();
      await uploadRoute(base, { path: p, runtime: rt, entry: 'hello.main' }, code[rt].file, Buffer.concat([code[rt].src, Buffer.from(marker)]));
      const t = process.hrtime.bigint();
      await post(`${base}/v1/r/${PROJECT}/${APP}${p}`, '{"name": "Ann"}');
      ms.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    return ms;
  };
  const stateDir = stateDirName();
  const db = await openBenchDb(stateDir);
  const figs: Figure[] = [];
  try {
    // Without waiting runtime containers ([runtimes] prestart_per_runtime = 0): each new function
    // starts its own container when its route is created, and the first call waits for it.
    const cold = await startFresco(db, { name: 'rt-nowait', prestartPerRuntime: 0 });
    try {
      for (const [name, image] of Object.entries(images)) await api(cold.url, 'POST', '/v1/runtimes', { runtime: { name, image } });
      await api(cold.url, 'POST', `/v1/${PROJECT}/apps`, { app: { name: APP } });
      for (const rt of ['python3', 'nodejs'] as const) {
        figs.push(first(`first call of a new ${rt} function, no runtime container waiting`, await firstCalls(cold.url, rt, 'nowait', async () => undefined)));
      }
    } finally {
      await cold.stop();
    }
    const f = await startFresco(db, { name: 'rt' });
    try {
      await measureWaiting(f, images, firstCalls, first, figs);
    } finally {
      await f.stop();
    }
  } finally {
    await db.drop();
    fs.rmSync(stateDir, { recursive: true, force: true });
  }
  print(figs);
}

// The default: one runtime container of each runtime waits; each new function is specialised into
// it. Then warm calls, beside a hot image route.
async function measureWaiting(f: BenchFresco, images: Record<Rt, string>,
  firstCalls: (base: string, rt: Rt, tag: string, before: () => Promise<void>) => Promise<number[]>,
  first: (name: string, ms: number[]) => Figure, figs: Figure[]): Promise<void> {
  const base = f.url;
  const runUrl = (p: string) => `${base}/v1/r/${PROJECT}/${APP}${p}`;
  await api(base, 'POST', `/v1/${PROJECT}/apps/${APP}/routes`, { route: { path: '/hot', image: HOT_HTTP, format: 'http' } });
  for (const rt of ['python3', 'nodejs'] as const) {
    const waiting = async () => {
      const until = Date.now() + 60_000;
      while ((f.executor.stats().waitingRuntimes[images[rt]] ?? 0) < 1) {
        if (Date.now() > until) throw new Error(`no ${rt} runtime container waiting after 60 s`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    figs.push(first(`first call of a new ${rt} function, a pre-started runtime container waiting`, await firstCalls(base, rt, 'waiting', waiting)));
    const file = rt === 'python3' ? 'examples/python-hello/hello.py' : 'examples/node-hello/hello.js';
    await uploadRoute(base, { path: `/warm-${rt}`, runtime: rt, entry: 'hello.main' }, path.basename(file), fs.readFileSync(path.join(packageRoot(), file)));
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
}

main().catch((err) => {
  process.stderr.write(`${err.stack ?? err}\n`);
  process.exit(1);
});
