import assert from 'node:assert/strict';
import { waitFor } from '../../helpers/wait';
import type { ExecutorCall } from '../../../src/domain/executor';
import { demuxer } from '../../../src/executor/docker/demux';
import { callEnv, launcherHeader } from '../../../src/executor/env';
import { ImageDriver, ImageManager } from '../../../src/executor/images';
import { encodeHttpRequest, HttpResponseReader } from '../../../src/executor/protocol/http';
import { JsonResponseReader } from '../../../src/executor/protocol/json';

const req: ExecutorCall = {
  id: 'c1', method: 'POST', url: 'http://h/r/a/p?q=1', requestPath: '/r/a/p?q=1', headers: { 'x-a': ['1', '2'], 'x-b': 'evil\r\nInjected: 1' },
  body: Buffer.from('hi'),
  route: { projectId: 'p', appName: 'a', path: '/p', image: 'i', format: 'http', memory: 128, timeout: 30, idleTimeout: 30,
    maxConcurrency: 1, config: { 'my-key': 'v' } },
};

describe('executor units', () => {
  it('builds the env in contract order with config last', () => {
    const env = callEnv(req);
    assert.deepEqual(env, ['APP_NAME=a', 'ROUTE=/p', 'FORMAT=http', 'MEMORY_MB=128', 'METHOD=POST', 'REQUEST_URL=http://h/r/a/p?q=1',
      'CALL_ID=c1', 'HEADER_X_A=1 2', 'HEADER_X_B=evil\r\nInjected: 1', 'MY_KEY=v']);
    assert.equal(launcherHeader(['A=1']).toString(), '00000004A=1\0');
  });

  it('encodes an http request without header injection', () => {
    const text = encodeHttpRequest(req).toString();
    assert.ok(text.startsWith('POST /r/a/p?q=1 HTTP/1.1\r\nx-a: 1\r\nx-a: 2\r\nx-b: evil  Injected: 1\r\n'));
    assert.ok(text.endsWith('Task-Id: c1\r\nContent-Length: 2\r\n\r\nhi'));
  });

  it('reads http responses split anywhere, and rejects bad framing', () => {
    const r = new HttpResponseReader(100);
    const bytes = Buffer.from('HTTP/1.1 404 Not Found\r\nX-Y: z\r\nContent-Length: 5\r\n\r\nhello');
    for (let i = 0; i < bytes.length - 1; i++) assert.equal(r.push(bytes.subarray(i, i + 1)), undefined);
    const res = r.push(bytes.subarray(bytes.length - 1));
    assert.deepEqual(res, { status: 404, headers: { 'x-y': ['z'] }, body: Buffer.from('hello') });
    assert.ok(new HttpResponseReader(100).push(Buffer.from('HTTP/1.1 200 OK\r\n\r\n')) instanceof Error);
    assert.ok(new HttpResponseReader(3).push(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n')) instanceof Error);
    assert.ok(new HttpResponseReader(100).push(Buffer.from('garbage\r\n\r\n')) instanceof Error);
  });

  it('reads json responses flat or Fn-style', () => {
    assert.deepEqual(new JsonResponseReader(100).push(Buffer.from('{"status":201,"body":"x"}\n')),
      { status: 201, headers: {}, body: Buffer.from('x') });
    const fn = new JsonResponseReader(100).push(Buffer.from('{"body":"y","content_type":"text/plain","protocol":{"status_code":202}}\n'));
    assert.deepEqual(fn, { status: 202, headers: { 'content-type': ['text/plain'] }, body: Buffer.from('y') });
    assert.ok(new JsonResponseReader(100).push(Buffer.from('nope\n')) instanceof Error);
    const refused = (line: string) => (new JsonResponseReader(200).push(Buffer.from(`${line}\n`)) as Error).message;
    assert.match(refused('{"status":100}'), /status 100, not a valid HTTP status/);
    assert.match(refused('{"status":999}'), /status 999/);
    assert.match(refused('{"headers":{"X-A":"a\\u0000b"}}'), /header x-a with control characters/);
    assert.match(refused('{"headers":{"Bad Name":"v"}}'), /invalid header name/);
  });

  it('reads a runtime\'s fresco_error as a failure of the call, and nothing else as one', () => {
    const failed = new JsonResponseReader(1000).push(Buffer.from('{"status":500,"body":"E","fresco_error":"ValueError: no"}\n'));
    assert.ok(failed && !(failed instanceof Error));
    assert.equal(failed.failure, 'ValueError: no');
    const ok = new JsonResponseReader(1000).push(Buffer.from('{"status":500,"body":"E"}\n'));
    assert.ok(ok && !(ok instanceof Error));
    assert.equal(ok.failure, undefined, 'a 500 answer alone is still an answer');
  });

  it('demuxes Docker frames split across chunks', () => {
    const got: string[] = [];
    const push = demuxer((s, c) => got.push(`${s}:${c}`));
    const frame = (t: number, s: string) => Buffer.concat([Buffer.from([t, 0, 0, 0, 0, 0, 0, s.length]), Buffer.from(s)]);
    const all = Buffer.concat([frame(1, 'out'), frame(2, 'err')]);
    push(all.subarray(0, 5));
    push(all.subarray(5, 13));
    push(all.subarray(13));
    assert.equal(got.join(''), '1:out2:err');
  });

  it('pulls once for concurrent users and evicts the least recently used image past the budget', async () => {
    const local = new Set<string>();
    let pulls = 0;
    const removed: string[] = [];
    const driver: ImageDriver = {
      inspectImage: async (ref) => (local.has(ref) ? { id: ref, size: 10, argv: ['x'] } : undefined),
      pullImage: async (ref) => { pulls++; await new Promise((r) => setTimeout(r, 10)); local.add(ref); },
      removeImage: async (ref) => { removed.push(ref); return local.delete(ref); },
    };
    const m = new ImageManager(driver, { diskBudgetBytes: 25 });
    await Promise.all([m.acquire('a'), m.acquire('a'), m.acquire('a')]);
    assert.equal(pulls, 1);
    for (let i = 0; i < 3; i++) m.release('a');
    await m.acquire('b');
    m.release('b');
    await m.acquire('c');
    await waitFor('the eviction', () => removed.length > 0);
    assert.deepEqual(removed, ['a']);
  });

  it('lets an acquire during an eviction of the same image wait for it, then pull the image again', async () => {
    const local = new Set<string>();
    let pulls = 0;
    let finishRemoval: (() => void) | undefined;
    const driver: ImageDriver = {
      inspectImage: async (ref) => (local.has(ref) ? { id: ref, size: 10, argv: ['x'] } : undefined),
      pullImage: async (ref) => { pulls++; local.add(ref); },
      removeImage: (ref) => new Promise((resolve) => { finishRemoval = () => resolve(local.delete(ref)); }),
    };
    const m = new ImageManager(driver, { diskBudgetBytes: 15 });
    await m.acquire('a');
    m.release('a');
    await m.acquire('b'); // over budget: evicting a, whose removal hangs until finishRemoval()
    await waitFor('the eviction to start', () => finishRemoval !== undefined);
    let got = false;
    const again = m.acquire('a').then((info) => { got = true; return info; });
    await new Promise((r) => setImmediate(r));
    assert.equal(got, false, 'waits while the image is being removed');
    finishRemoval!();
    assert.equal((await again).id, 'a');
    assert.equal(pulls, 3, 'pulled again after the removal');
    assert.ok(local.has('a'));
  });
});
