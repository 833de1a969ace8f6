import assert from 'node:assert/strict';
import type { CallOutcome, RunnableRoute } from '../../../src/domain/executor';
import { DockerExecutor } from '../../../src/executor';
import { waitFor } from '../../helpers/wait';
import { call, containersOf, docker, engineOf, route, startExecutor } from './fixtures';

const img = (name: string, over: Partial<RunnableRoute> = {}) => route({ image: `fresco-test/${name}:1`, path: `/${name}`, ...over });

// Cold runs (format default, pre-start off): the function contract of docs/function-contract.md and hardening.
describe('executor: cold runs', function () {
  this.timeout(60_000);
  let ex: DockerExecutor;
  let engineId: string;

  // Every misbehaving call must leave the engine able to run hello-world at once.
  async function runThenHello(r: RunnableRoute, exec = ex): Promise<CallOutcome> {
    const res = await exec.run(call(r));
    const hello = await exec.run(call(route()));
    assert.equal(hello.status, 'success');
    assert.equal(hello.result.toString(), 'Hello Bob\n');
    return res;
  }

  before(async () => {
    ex = await startExecutor({ prestartPerRoute: 0 });
    engineId = engineOf(ex);
  });
  after(async () => {
    await ex.stop();
    assert.equal((await containersOf(engineId)).length, 0, 'stop() leaves no container');
  });

  it('runs hello-world with the body on stdin, World without one', async () => {
    const kinds: string[] = [];
    const res = await ex.run(call(route(), { onStart: (k) => kinds.push(k) }));
    assert.equal(res.status, 'success');
    assert.equal(res.kind, 'cold');
    assert.equal(res.exitCode, 0);
    assert.equal(res.result.toString(), 'Hello Bob\n');
    assert.deepEqual(kinds, ['cold']);
    assert.ok(res.startedAt && res.completedAt >= res.startedAt);
    assert.equal((await ex.run(call(route(), { body: Buffer.alloc(0) }))).result.toString(), 'Hello World\n');
  });

  it('gives the function the contract environment, config last', async () => {
    const r = img('env', { config: { 'my-conf': 'x', HEADER_X_MY_HEADER: 'from-config' } });
    const req = call(r, { headers: { 'x-my-header': ['a', 'b'], 'x-other': 'o' }, body: Buffer.from('the-payload') });
    const res = await ex.run(req);
    const [env, stdin] = res.result.toString().split('---\n');
    const vars = new Map(env.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    assert.equal(vars.get('APP_NAME'), 'myapp');
    assert.equal(vars.get('ROUTE'), '/env');
    assert.equal(vars.get('METHOD'), 'POST');
    assert.equal(vars.get('REQUEST_URL'), req.url);
    assert.equal(vars.get('CALL_ID'), req.id);
    assert.equal(vars.get('FORMAT'), 'default');
    assert.equal(vars.get('MEMORY_MB'), '64');
    assert.equal(vars.get('HEADER_X_OTHER'), 'o');
    assert.equal(vars.get('MY_CONF'), 'x');
    assert.equal(vars.get('HEADER_X_MY_HEADER'), 'from-config', 'config wins over headers');
    assert.equal(stdin, 'the-payload');
    const multi = await ex.run(call(img('env'), { headers: { 'x-my-header': ['a', 'b'] } }));
    assert.match(multi.result.toString(), /^HEADER_X_MY_HEADER=a b$/m);
  });

  it('reports a non-zero exit as an error with the log', async () => {
    const res = await runThenHello(img('fail'));
    assert.equal(res.status, 'error');
    assert.equal(res.exitCode, 3);
    assert.equal(res.error, 'exit code 3');
    assert.equal(res.result.toString(), 'partial\n');
    assert.equal(res.log.toString(), 'about to fail\n');
  });

  it('caps the log', async () => {
    const small = await startExecutor({ prestartPerRoute: 0, logCap: 4 });
    try {
      const res = await small.run(call(img('fail')));
      assert.equal(res.log.toString(), 'abou');
      assert.equal(res.logTruncated, true);
    } finally {
      await small.stop();
    }
  });

  it('kills a function past its timeout and removes its container', async () => {
    const res = await runThenHello(img('sleep', { timeout: 1 }));
    assert.equal(res.status, 'timeout');
    await waitFor('no container left', async () => (await containersOf(engineId)).length === 0);
  });

  it('ends a call that exceeds its memory with a clear message', async () => {
    const res = await runThenHello(img('oom', { memory: 16 }));
    assert.equal(res.status, 'error');
    assert.match(res.error ?? '', /memory limit/);
    assert.match(res.error ?? '', /16 MiB/);
  });

  it('ends a call that floods stdout at the cap and stays healthy', async () => {
    const small = await startExecutor({ prestartPerRoute: 0, outputCap: 64 * 1024 });
    try {
      const res = await runThenHello(img('flood'), small);
      assert.equal(res.status, 'error');
      assert.equal(res.resultTruncated, true);
      assert.equal(res.result.length, 64 * 1024);
      assert.match(res.error ?? '', /output limit exceeded/);
    } finally {
      await small.stop();
    }
  });

  it('contains a fork bomb with the pids limit', async () => {
    const res = await runThenHello(img('forkbomb', { timeout: 2 }));
    assert.notEqual(res.status, 'success');
  });

  it('runs hardened: nobody, read-only root, writable /tmp, no network, limits, labels', async () => {
    const res = await ex.run(call(img('probe')));
    assert.match(res.result.toString(), /uid=65534/);
    assert.match(res.result.toString(), /Read-only file system/);
    assert.match(res.result.toString(), /^tmp$/m);
    const ac = new AbortController();
    const req = call(img('sleep'), { signal: ac.signal });
    const running = ex.run(req);
    const info = await waitFor('the container', async () => (await containersOf(engineId)).find((c) => c.State === 'running'));
    const c = await docker.getContainer(info.Id).inspect();
    assert.deepEqual(c.HostConfig.CapDrop, ['ALL']);
    assert.deepEqual(c.HostConfig.SecurityOpt, ['no-new-privileges']);
    assert.equal(c.HostConfig.ReadonlyRootfs, true);
    assert.deepEqual(c.HostConfig.Tmpfs, { '/tmp': 'rw,noexec,nosuid,size=64m' });
    assert.equal(c.HostConfig.NetworkMode, 'none');
    assert.equal(c.HostConfig.Memory, 64 * 1024 * 1024);
    assert.equal(c.HostConfig.MemorySwap, 64 * 1024 * 1024);
    assert.equal(c.HostConfig.PidsLimit, 128);
    assert.equal(c.HostConfig.CpuQuota, 100000);
    assert.equal(c.HostConfig.CpuPeriod, 100000);
    assert.equal(c.HostConfig.AutoRemove, false);
    assert.equal(c.Config.User, '65534:65534');
    assert.equal(c.Config.Labels['io.fresco.managed'], 'true');
    assert.equal(c.Config.Labels['io.fresco.engine'], engineId);
    assert.equal(c.Config.Labels['io.fresco.call'], req.id);
    assert.ok(!(c.HostConfig.Binds ?? []).some((b) => b.includes('docker.sock')));
    assert.ok(!c.Mounts.some((m) => m.Source.includes('docker.sock')));
    ac.abort();
    const cancelled = await running;
    assert.equal(cancelled.status, 'cancelled');
    await waitFor('the cancelled container removed', async () => (await containersOf(engineId)).length === 0);
  });

  it('runs as root and on a network only when the route opts in', async () => {
    const res = await ex.run(call(img('probe', { allowRoot: true, network: 'bridge' })));
    assert.match(res.result.toString(), /uid=0/);
  });

  it('removes orphans of an earlier run at start', async () => {
    const ac = new AbortController();
    const running = ex.run(call(img('sleep'), { signal: ac.signal }));
    await waitFor('a running container', async () => (await containersOf(engineId)).some((c) => c.State === 'running'));
    const again = new DockerExecutor({ engineId, prestartPerRoute: 0 });
    await again.start();
    assert.equal((await containersOf(engineId)).length, 0);
    ac.abort();
    assert.notEqual((await running).status, 'success');
    await again.stop();
  });
});
