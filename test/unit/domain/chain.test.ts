import assert from 'node:assert/strict';
import { chainTarget, childLineage, failureDescription, findCycle, linkFor } from '../../../src/domain/chain';
import { outcomeWithoutRun } from '../../../src/domain/call';
import type { RunnableRoute } from '../../../src/domain/executor';
import { CallChainer } from '../../../src/services/call-chainer';
import type { ResolvedRoute } from '../../../src/services/route-resolver';
import { routeNotFound } from '../../../src/errors';

describe('chaining (domain)', () => {
  it('reads a target as "/path" in the same app or "app/path" in another', () => {
    assert.deepEqual(chainTarget('/b', 'a'), { app: 'a', path: '/b' });
    assert.deepEqual(chainTarget('other/img/resize', 'a'), { app: 'other', path: '/img/resize' });
    assert.equal(chainTarget('b', 'a'), undefined);
    assert.equal(chainTarget('bad app/x', 'a'), undefined);
  });

  it('follows on_success after success, on_failure after error or timeout, nothing after cancelled', () => {
    const links = { onSuccess: '/ok', onFailure: '/ko' };
    assert.deepEqual(linkFor(links, 'success'), { field: 'on_success', target: '/ok' });
    assert.deepEqual(linkFor(links, 'error'), { field: 'on_failure', target: '/ko' });
    assert.deepEqual(linkFor(links, 'timeout'), { field: 'on_failure', target: '/ko' });
    assert.equal(linkFor(links, 'cancelled'), undefined);
    assert.equal(linkFor({ onFailure: '/ko' }, 'success'), undefined);
  });

  it('finds the cycle a new link would close, through both kinds of link and across apps', () => {
    const nodes = [
      { app: 'a', path: '/b', onSuccess: '/c' },
      { app: 'a', path: '/c', onFailure: 'x/d' },
      { app: 'x', path: '/d', onSuccess: 'a/a' },
    ];
    assert.deepEqual(findCycle(nodes, { app: 'a', path: '/a' }, { onSuccess: '/b' }), ['a/a', 'a/b', 'a/c', 'x/d', 'a/a']);
    assert.equal(findCycle(nodes, { app: 'a', path: '/a' }, { onSuccess: null }), undefined, 'a stored link is replaced');
    assert.equal(findCycle(nodes, { app: 'a', path: '/z' }, { onSuccess: '/b' }), undefined, 'a chain into a loop-free graph');
    assert.deepEqual(findCycle([], { app: 'a', path: '/a' }, { onFailure: '/a' }), ['a/a', 'a/a'], 'a route chained to itself');
    // A diamond is not a cycle.
    const diamond = [{ app: 'a', path: '/l', onSuccess: '/end' }, { app: 'a', path: '/r', onSuccess: '/end' }];
    assert.equal(findCycle(diamond, { app: 'a', path: '/top' }, { onSuccess: '/l', onFailure: '/r' }), undefined);
  });

  it('gives a chained call its parent, the root and one more depth', () => {
    assert.deepEqual(childLineage('p', { depth: 0 }), { parentCallId: 'p', rootCallId: 'p', depth: 1 });
    assert.deepEqual(childLineage('q', { parentCallId: 'p', rootCallId: 'r', depth: 4 }), { parentCallId: 'q', rootCallId: 'r', depth: 5 });
  });

  it('describes a failed call with its status, error and kept input', () => {
    const d = failureDescription({ id: 'c1', projectId: 'p', app: 'a', route: '/f', attempts: 3 },
      { ...outcomeWithoutRun('timeout', 'timed out after 5 s'), exitCode: null },
      { method: 'POST', url: 'u', requestPath: '/f', headers: { 'content-type': 'text/plain' }, body: Buffer.from('hello') });
    assert.deepEqual(d, {
      call_id: 'c1', app: 'a', route: '/f', status: 'timeout', attempts: 3, root_call_id: 'c1', depth: 0,
      error: { code: 'timeout', message: 'timed out after 5 s', exit_code: null },
      input: { content_type: 'text/plain', body: 'hello' },
    });
  });

  describe('CallChainer', () => {
    const existing = new Set(['a\0/next']);
    const resolver = {
      async private(projectId: string, app: string, path: string): Promise<ResolvedRoute> {
        if (!existing.has(`${app}\0${path}`)) throw routeNotFound(app, path);
        return { route: {} as ResolvedRoute['route'], runnable: {} as RunnableRoute };
      },
    };
    const published: string[] = [];
    const chainer = new CallChainer({ resolver, queue: { publish: async (id) => { published.push(id); } }, maxDepth: 3 });
    const ok = { ...outcomeWithoutRun('success', ''), error: undefined, result: Buffer.from('{"n":1}'), httpHeaders: { 'Content-Type': ['application/json'] } };
    const parent = { id: 'p1', projectId: 'p', app: 'a', route: '/first', attempts: 1, depth: 0 };

    it('starts the target with the output, its content type and the lineage', async () => {
      const f = await chainer.next(parent, ok, { onSuccess: '/next' });
      assert.ok(f?.call);
      assert.deepEqual([f.call.app, f.call.route, f.call.parentCallId, f.call.rootCallId, f.call.depth, f.call.dedupeKey],
        ['a', '/next', 'p1', 'p1', 1, 'chain:p1']);
      assert.equal(f.call.request.body.toString(), '{"n":1}');
      assert.equal(f.call.request.headers['content-type'], 'application/json');
      assert.equal(f.call.request.headers['fresco-chain-depth'], '1');
      chainer.started(f);
      assert.deepEqual(published, [f.call.id]);
    });

    it('starts nothing past max_chain_depth and says why', async () => {
      assert.ok((await chainer.next({ ...parent, depth: 2, rootCallId: 'r' }, ok, { onSuccess: '/next' }))?.call, 'depth 3 is allowed');
      const f = await chainer.next({ ...parent, depth: 3, rootCallId: 'r' }, ok, { onSuccess: '/next' });
      assert.equal(f?.call, undefined);
      assert.match(f!.note!, /^FRESCO_CHAIN_TOO_DEEP: .*a\/next.*depth 4.*max_chain_depth 3/);
    });

    it('notes a target deleted since the link was set, and follows nothing without a link for the outcome', async () => {
      const f = await chainer.next(parent, ok, { onSuccess: 'gone/x' });
      assert.match(f!.note!, /^FRESCO_CHAIN_TARGET_GONE: on_success names gone\/x/);
      assert.equal(await chainer.next(parent, ok, { onFailure: '/next' }), undefined);
    });
  });
});
