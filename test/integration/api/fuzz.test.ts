import assert from 'node:assert/strict';
import request from 'supertest';
import { createTestDb, TestDb } from '../../helpers/db';
import { buildTestApi, testConfig } from '../../helpers/api';
import { ScriptedExecutor } from '../../helpers/scripted-executor';

// Issue 18: random and mutated requests against every documented route (GET /api) must each be
// answered, never with a 5xx of Fresco's own. Seeded and bounded: FRESCO_FUZZ_SEED and
// FRESCO_FUZZ_COUNT reproduce or widen a run; a failure prints the seed and the request.

/** mulberry32: a tiny seeded PRNG, uniform in [0, 1). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SEED = Number(process.env.FRESCO_FUZZ_SEED ?? 1818);
const COUNT = Number(process.env.FRESCO_FUZZ_COUNT ?? 400);
// A function's own failure is a 5xx by contract (502/504), not Fresco's; so is a method it never implements.
const ALLOWED_5XX = new Set(['FRESCO_CALL_FAILED', 'FRESCO_CALL_TIMEOUT', 'FRESCO_NOT_IMPLEMENTED']);

const NASTY = ['', '%00', 'a%00b', '..', '.', '%2e%2e', '%ff', '%', '%zz', '%ED%A0%80', 'x'.repeat(300), 'p'.repeat(70), '%0d%0a',
  '😀', '%F0%9F%98%80', '00000000-0000-0000-0000-000000000000', 'null', '-1', ' ', '%20', '*', 'fn', 'demo', 'pub'];
const STRINGS = ['', 'a', '\u0000', '\ud800', 'x'.repeat(5000), '..', '.', 'fn', '/pub', '\r\nX: y', '😀', 'true', '{}', '%00'];

/** `s` for a query string; a lone surrogate becomes its (invalid) UTF-8 bytes, %ED%A0%80. */
function queryValue(s: string): string {
  try {
    return encodeURIComponent(s);
  } catch {
    return encodeURIComponent(s.replace(/[\ud800-\udfff]/g, '')) + '%ED%A0%80';
  }
}

describe('API: HTTP fuzz (seeded, bounded)', function () {
  this.timeout(120_000);
  let t: TestDb;
  let app: ReturnType<typeof buildTestApi>;
  const api = () => request(app.callback());
  before(async () => {
    t = await createTestDb();
    app = buildTestApi(t.db, testConfig(), { executor: new ScriptedExecutor() });
    await api().post('/v1/demo/apps').send({ app: { name: 'fn', config: { A: 'b' } } }).expect(200);
    await api().post('/v1/demo/apps/fn/routes').send({ route: { path: '/pub', image: 'x:1', is_public: true } }).expect(200);
  });
  after(async () => { await t.drop(); });

  it(`answers ${COUNT} random and mutated requests (seed ${SEED}) without a 5xx of its own`, async () => {
    const doc = (await api().get('/api').expect(200)).body as { paths: Record<string, Record<string, unknown>> };
    const ops = Object.entries(doc.paths).flatMap(([path, methods]) => Object.keys(methods).map((m) => ({ path, method: m })));
    assert.ok(ops.length > 20, `operations read from /api: ${ops.length}`);
    const rnd = prng(SEED);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
    const value = (depth = 0): unknown => {
      const r = rnd();
      if (r < 0.35 || depth > 3) return pick(STRINGS);
      if (r < 0.5) return pick([0, -1, 1e12, 1.5, true, false, null]);
      if (r < 0.7) return Array.from({ length: Math.floor(rnd() * 3) }, () => value(depth + 1));
      const o: Record<string, unknown> = {};
      for (let i = Math.floor(rnd() * 4); i > 0; i--) o[pick([...STRINGS, 'name', 'path', 'image', 'config', 'type', 'filter'])] = value(depth + 1);
      return o;
    };
    const valid = [
      { app: { name: 'fz', description: 'd', config: { K: 'v' } } },
      { route: { path: '/fz', image: 'x:1', memory: 128, headers: { 'X-A': ['b'] }, config: { K: 'v' } } },
      { trigger: { name: 'tz', type: 'notification', app: 'fn', route: '/pub', filter: { event_type: 'a.*' } } },
    ];
    const mutate = (o: unknown): unknown => {
      if (!o || typeof o !== 'object' || Array.isArray(o)) return rnd() < 0.5 ? value() : o;
      const out: Record<string, unknown> = { ...(o as Record<string, unknown>) };
      const keys = Object.keys(out);
      const k = keys.length && rnd() < 0.8 ? pick(keys) : pick(STRINGS);
      out[k] = rnd() < 0.5 ? mutate(out[k]) : value();
      return out;
    };
    const body = (): { type: string; data: string | Buffer } => {
      const r = rnd();
      if (r < 0.4) return { type: 'application/json', data: JSON.stringify(mutate(pick(valid))) };
      if (r < 0.6) return { type: 'application/json', data: JSON.stringify(value()) };
      if (r < 0.75) return { type: pick(['application/json', 'text/plain', 'application/x-www-form-urlencoded']),
        data: Buffer.from(Array.from({ length: Math.floor(rnd() * 64) }, () => Math.floor(rnd() * 256))) };
      const text = JSON.stringify(pick(valid));
      const cut = Math.floor(rnd() * text.length);
      return { type: 'application/json', data: text.slice(0, cut) + pick(['', '}', '"', '\\u0000', '\\ud800']) + text.slice(cut + 1) };
    };
    const headers = (): Record<string, string> => {
      const h: Record<string, string> = {};
      if (rnd() < 0.2) h['Content-Encoding'] = pick(['gzip', 'deflate', 'br', 'identity', 'bogus']);
      if (rnd() < 0.2) h['X-Auth-Token'] = pick(['t', 'x'.repeat(3000)]);
      if (rnd() < 0.1) h['Accept'] = pick(['*/*', 'text/html', '']);
      if (rnd() < 0.1) h['X-Project-Id'] = pick(['demo', 'other', 'p'.repeat(70)]);
      return h;
    };

    for (let i = 0; i < COUNT; i++) {
      const op = pick(ops);
      const path = op.path.replace(/\{(\w+)\}/g, (_m, name: string) =>
        (rnd() < 0.5 ? ({ project_id: 'demo', app: 'fn', route: 'pub' } as Record<string, string>)[name] ?? pick(NASTY) : pick(NASTY)));
      const query = rnd() < 0.3 ? `?${pick(['status', 'app', 'marker', 'limit', 'since', 'x'])}=${queryValue(String(value()))}` : '';
      const method = rnd() < 0.9 ? op.method : pick(['get', 'post', 'put', 'delete', 'patch', 'options', 'head', 'trace']);
      const b = body();
      const what = `seed ${SEED} #${i}: ${method.toUpperCase()} ${path}${query}`;
      let req = (api() as unknown as Record<string, (u: string) => request.Test>)[method](path + query).timeout(10_000).set(headers());
      if (!['get', 'head', 'delete', 'options', 'trace'].includes(method)) req = req.set('Content-Type', b.type).send(b.data);
      const res = await req.catch((err: Error) => assert.fail(`${what}: no answer (${err.message})`));
      const code = res.body?.error?.code as string | undefined;
      assert.ok(res.status < 500 || (code !== undefined && ALLOWED_5XX.has(code)), `${what}: ${res.status} ${res.text?.slice(0, 200)}`);
      assert.ok(res.headers['x-openstack-request-id'], `${what}: no X-Openstack-Request-Id`);
    }
  });
});
