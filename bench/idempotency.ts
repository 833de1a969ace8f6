// What an Idempotency-Key costs on a hot sync run (docs/api.md, "Idempotency keys"): the same
// sequential POSTs to /v1/r with no key, with a new key each call (the key is claimed in
// PostgreSQL/PGlite before the run and its answer kept after it), and with one key sent again
// (answered from the kept record, the function does not run). Interleaved rounds, same process.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { BenchFresco, runUrl } from './fresco';
import { Figure, timedLoop } from './measure';

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

/** POSTs "Bob" to `url` with `key` as Idempotency-Key (none when undefined); rejects unless 200. */
function post(url: string, key: string | undefined): Promise<void> {
  const headers: Record<string, string> = { 'content-type': 'text/plain' };
  if (key) headers['idempotency-key'] = key;
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent, headers }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`POST ${url}: HTTP ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end('Bob');
  });
}

/** The median round of each variant, and the p50 each key variant adds over no key. */
export async function idempotencyOverhead(f: BenchFresco, seconds: number, rounds: number): Promise<Figure[]> {
  const url = runUrl(f, '/hot');
  const again = randomUUID();
  await post(url, again);
  const variants: [string, () => string | undefined][] = [
    ['hot /v1/r c=1, no Idempotency-Key', () => undefined],
    ['hot /v1/r c=1, a new Idempotency-Key each call', () => randomUUID()],
    ['hot /v1/r c=1, the same key again (answer kept)', () => again],
  ];
  const runs: Figure[][] = variants.map(() => []);
  for (let round = 0; round < rounds; round++) {
    for (const [i, [name, key]] of variants.entries()) runs[i].push(await timedLoop(name, seconds, () => post(url, key())));
  }
  const median = (figs: Figure[]) => [...figs].sort((a, b) => a.rps - b.rps)[Math.floor(figs.length / 2)];
  const [none, fresh, kept] = runs.map(median);
  const add = (x: Figure) => ({
    name: `  added by ${x === fresh ? 'a new key' : 'a kept key'} over no key`, p50: x.p50 - none.p50, p99: x.p99 - none.p99, rps: NaN,
    note: 'p50/p99 in ms added',
  });
  const noted = (x: Figure) => ({ ...x, note: `median of ${rounds} rounds (${x.note}); sequential node client` });
  const sep: Figure = { name: '-- an Idempotency-Key on a hot sync run --', p50: NaN, p99: NaN, rps: NaN };
  return [sep, noted(none), noted(fresh), noted(kept), add(fresh), add(kept)];
}
