import assert from 'node:assert/strict';
import { AllWorld } from '../../helpers/all-world';
import { waitFor } from '../../helpers/wait';
import { ownImage } from '../executor/fixtures';

// Chaining end to end: `fresco all` on real PostgreSQL, RabbitMQ (a vhost of this run, so no other
// engine takes our calls) and Docker. A finished call's follow-up is recorded with its final state
// and published to RabbitMQ; the next function reads the previous one's output on stdin.

interface WireCall { id: string; route: string; status: string; trigger: string; depth: number; parent_call_id: string | null;
  result: string | null; chain_error: string | null }

describe('chaining on real RabbitMQ and Docker: output to the next function, failures to on_failure, the depth cap', function () {
  this.timeout(180_000);
  const w = new AllWorld({ name: 'chain', rabbitmq: true, env: { FRESCO_MAX_CHAIN_DEPTH: '2' } });
  const post = (url: string, body: unknown, method = 'POST') => w.send(method, url, body);
  const lineage = async (id: string): Promise<WireCall[]> =>
    (await (await fetch(`${w.base}/v1/demo/calls/${id}/lineage`)).json()).lineage.calls;
  /** The lineage once it has `n` calls, all final. */
  const settled = async (id: string, n: number): Promise<WireCall[]> => {
    let calls: WireCall[] = [];
    await waitFor(`a chain of ${n} finished calls`, async () => {
      calls = await lineage(id);
      return calls.length === n && calls.every((c) => !['queued', 'running'].includes(c.status));
    }, 90_000, 200);
    return calls;
  };

  before(async () => {
    await w.start();
    // Targets first: a link must name an existing route.
    await w.createRoutes('ch', [
      { path: '/last', image: ownImage('env'), type: 'async' },
      { path: '/mid', image: ownImage('env'), type: 'async', on_success: '/last' },
      { path: '/b', image: ownImage('env'), type: 'async' },
      { path: '/oops', image: ownImage('env'), type: 'async' },
      { path: '/a', image: ownImage('hello'), type: 'async', on_success: '/b' },
      { path: '/failing', image: ownImage('fail'), type: 'async', on_failure: '/oops' },
      { path: '/deep', image: ownImage('hello'), type: 'sync', on_success: '/mid' },
    ]);
  });
  after(() => w.stop());

  it('A on_success B: B reads A\'s output and knows its parent', async () => {
    const id = (await (await post('/v1/r/demo/ch/a', 'Chain')).json()).call_id;
    const [a, b] = await settled(id, 2);
    assert.deepEqual([a.status, a.result], ['success', 'Hello Chain\n']);
    assert.deepEqual([b.route, b.trigger, b.depth, b.parent_call_id, b.status], ['/b', 'chain', 1, id, 'success']);
    const [env, stdin] = b.result!.split('---\n');
    assert.equal(stdin, 'Hello Chain\n');
    assert.match(env, new RegExp(`^HEADER_FRESCO_PARENT_CALL_ID=${id}$`, 'm'));
    assert.match(env, /^REQUEST_URL=fresco-chain:\/\//m);
  });

  it('A fails: the on_failure route gets a description of the failed call', async () => {
    const id = (await (await post('/v1/r/demo/ch/failing', 'my input')).json()).call_id;
    const [failed, oops] = await settled(id, 2);
    assert.equal(failed.status, 'error');
    assert.equal(oops.route, '/oops');
    const got = JSON.parse(oops.result!.split('---\n')[1]);
    assert.equal(got.call_id, id);
    assert.equal(got.status, 'error');
    assert.equal(got.error.exit_code, 3);
    assert.deepEqual(got.input, { content_type: 'text/plain', body: 'my input' });
  });

  it('stops a chain at max_chain_depth: the deepest call says why its follow-up did not start', async () => {
    const res = await post('/v1/r/demo/ch/deep', 'Deep');
    assert.equal(res.status, 200);
    const id = (await res.json()).call_id;
    const calls = await settled(id, 3);
    assert.deepEqual(calls.map((c) => [c.route, c.depth, c.status]), [['/deep', 0, 'success'], ['/mid', 1, 'success'], ['/last', 2, 'success']]);
    assert.equal(calls[2].chain_error, null, '/last chains nothing');
    // /mid -> /last is depth 2, allowed; now make /last chain on: depth 3 is refused.
    assert.ok((await post('/v1/demo/apps/ch/routes/last', { on_success: '/b' }, 'PUT')).status < 300);
    const again = (await (await post('/v1/r/demo/ch/deep', 'Again')).json()).call_id;
    const chain = await settled(again, 3);
    await waitFor('the refusal to be recorded', async () => Boolean((await lineage(again))[2].chain_error), 30_000, 100);
    const last = (await lineage(again))[2];
    assert.match(last.chain_error!, /^FRESCO_CHAIN_TOO_DEEP: the call of ch\/b was not started: it would be at depth 3, over max_chain_depth 2/);
    assert.equal(chain.length, 3);
  });
});
