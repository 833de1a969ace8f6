// `npm run bench`: in one run on this machine, latency and throughput of bare `docker run`,
// Fresco cold, pre-started and hot (http, c=1 and c=4), and Fresco's own added latency on a hot
// call. Drives bench/server.ts (a minimal HTTP server around the executor) with wrk.
import { execFileSync, spawn } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { RunnableRoute } from '../src/domain/executor';
import { DockerExecutor } from '../src/executor';
import { packageRoot } from '../src/executor/options';
import { Figure, print, requireWrk, timedLoop, wrk } from './measure';
import { executorHandler, startTarget } from './server';

const SECONDS = Math.min(10, Math.max(5, Number(process.env.BENCH_SECONDS ?? 5)));
const HELLO = 'fresco-test/hello:1';

function route(path: string, over: Partial<RunnableRoute> = {}): RunnableRoute {
  return { projectId: 'bench', appName: 'bench', path, image: HELLO, format: 'default', memory: 64, timeout: 30,
    idleTimeout: 60, maxConcurrency: 4, config: {}, ...over };
}

const routes = {
  cold: route('/cold'),
  pre: route('/pre'),
  hot: route('/hot', { format: 'http', image: 'fresco-test/hot-http:1' }),
};

function dockerRunOnce(): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn('docker', ['run', '--rm', '-i', '--network', 'none', HELLO], { stdio: ['pipe', 'ignore', 'ignore'] });
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`docker run exited ${code}`))));
    p.stdin.end('Bob');
  });
}

function post(url: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent, headers: { 'content-type': 'text/plain' } }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end('Bob');
  });
}
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

async function waitPrestarted(ex: DockerExecutor): Promise<void> {
  const deadline = Date.now() + 5000;
  while (ex.stats().prestarted < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 2));
}

async function main(): Promise<void> {
  requireWrk();
  execFileSync('bash', [path.join(packageRoot(), 'test', 'images', 'build.sh')], { stdio: 'inherit' });
  const coldEx = new DockerExecutor({ engineId: 'bench-cold', prestartPerRoute: 0 });
  const ex = new DockerExecutor({ engineId: 'bench', prestartPerRoute: 1, prestartTotal: 8 });
  // One after the other: start() reaps every Fresco container on the host.
  await coldEx.start();
  await ex.start();
  const cold = await startTarget(executorHandler(coldEx, routes));
  const warm = await startTarget(executorHandler(ex, routes));
  const figs: Figure[] = [];
  try {
    console.log(`bench: ${SECONDS} s per scenario on ${require('node:os').cpus().length} CPUs\n`);
    figs.push(await timedLoop('bare docker run --rm -i (sequential)', SECONDS, dockerRunOnce));
    figs.push(...await benchTarget(`${cold.url}/cold`, 'Fresco cold (HTTP, wrk)', [1, 4]));
    await post(`${warm.url}/pre`);
    figs.push(await timedLoop('Fresco pre-started (HTTP, one ready each call)', SECONDS, () => post(`${warm.url}/pre`),
      () => waitPrestarted(ex)));
    figs.push(...await benchTarget(`${warm.url}/pre`, 'Fresco pre-started route, back-to-back (wrk)', [1]));
    await post(`${warm.url}/hot`);
    figs.push(...await benchTarget(`${warm.url}/hot`, 'Fresco hot http (HTTP, wrk)', [1, 4]));
    figs.push(await timedLoop('Fresco hot http, executor.run direct (no HTTP)', Math.min(SECONDS, 5), () => ex.run({
      id: randomUUID(), route: routes.hot, method: 'POST', url: 'http://127.0.0.1/r/hot', requestPath: '/r/hot',
      headers: { 'content-type': 'text/plain' }, body: Buffer.from('Bob'),
    })));
    figs.push(await timedLoop('Fresco hot http via HTTP server (node client)', Math.min(SECONDS, 5), () => post(`${warm.url}/hot`)));
  } finally {
    await cold.close();
    await warm.close();
    await Promise.all([coldEx.stop(), ex.stop()]);
    agent.destroy();
  }
  print(figs);
  report(figs);
}

function report(f: Figure[]): void {
  const [bare, cold1, , pre, , hot1, hot4, direct, viaHttp] = f;
  console.log('');
  console.log(`ratio hot(c=1)/cold(c=1) throughput:        ${(hot1.rps / cold1.rps).toFixed(0)}x`);
  console.log(`ratio pre-started/bare docker run p50:      ${(pre.p50 / bare.p50).toFixed(3)} (${pre.p50.toFixed(1)} ms vs ${bare.p50.toFixed(1)} ms)`);
  console.log(`Fresco executor on a hot call (direct p50): ${(direct.p50 * 1000).toFixed(0)} µs`);
  console.log(`added by the HTTP server (p50):             ${((viaHttp.p50 - direct.p50) * 1000).toFixed(0)} µs`);
  console.log(`targets: hot c=1 ≥ 3000/s: ${hot1.rps >= 3000 ? 'met' : 'NOT met'}; hot c=4 ≥ 5000/s: ${hot4.rps >= 5000 ? 'met' : 'NOT met'}; `
    + `pre-started p50 ≤ 25 ms: ${pre.p50 <= 25 ? 'met' : 'NOT met'}`);
}

/** wrk (POST "Bob") against any URL, e.g. a route of the real Fresco API, once per connection count. */
export async function benchTarget(url: string, name = url, connections: number[] = [1, 4], seconds = SECONDS): Promise<Figure[]> {
  const figs: Figure[] = [];
  for (const c of connections) figs.push(await wrk(name, url, c, seconds));
  return figs;
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
