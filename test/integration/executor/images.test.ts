import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DockerExecutor } from '../../../src/executor';
import type { RegistryAuth } from '../../../src/executor/options';
import { waitFor } from '../../helpers/wait';
import { buildImages, call, docker, route, startExecutor } from './fixtures';
import { freePort, push, startRegistry, startSnoopingRegistry, TestRegistry } from './registry';

// Pulls on first use from real registries (Debian's docker-registry on loopback ports), with and
// without auth, and the disk budget. Ports are free ones and repositories carry this run's id, so
// that runs on the same machine do not meet.
const run = `${process.pid}-${Date.now()}`;
const USER = 'fresco-puller';
const PASSWORD = `Pw-${run}-s3cret`;

/** Whether Docker has `ref` locally. */
async function present(ref: string): Promise<boolean> {
  return docker.getImage(ref).inspect().then(() => true, () => false);
}

/** The start of the message of a pull the registry refused. */
function refused(ref: string): RegExp {
  return new RegExp(`^Pulling image ${ref.replace(/[.]/g, '\\.')} failed: the registry refused access \\(`);
}

/** Removes `ref` as an operator would (docker rmi), once the containers of calls that used it are gone. */
async function rmi(ref: string): Promise<void> {
  await waitFor(`docker rmi ${ref}`, async () => {
    await docker.getImage(ref).remove().catch(() => undefined);
    return !(await present(ref));
  });
}

/** Removes local images, ignoring those already gone. */
async function removeAll(refs: string[]): Promise<void> {
  await Promise.all(refs.map((ref) => docker.getImage(ref).remove().catch(() => undefined)));
}

describe('executor: images', function () {
  this.timeout(60_000);
  const executors: DockerExecutor[] = [];
  const made: string[] = []; // local tags this run creates, removed at its end
  let open: TestRegistry;
  let secured: TestRegistry;

  /** A started executor that the suite stops at its end. */
  async function executor(opts: Parameters<typeof startExecutor>[0] = {}): Promise<DockerExecutor> {
    // The test registries listen on loopback ports: listed by host, as an operator would have to.
    const ex = await startExecutor({ prestartPerRoute: 0, allowedRegistries: ['docker.io', '127.0.0.1'], ...opts });
    executors.push(ex);
    return ex;
  }

  /** `local` pushed to `reg` as a repository of this run; the reference Fresco will pull. */
  function publish(reg: TestRegistry, local: string, name: string): string {
    const ref = `${reg.host}/fresco-test-${run}/${name}:1`;
    push(reg, local, ref);
    made.push(ref);
    return ref;
  }

  before(async () => {
    buildImages();
    [open, secured] = await Promise.all([startRegistry(), startRegistry({ username: USER, password: PASSWORD })]);
  });
  after(async () => {
    await Promise.all(executors.map((ex) => ex.stop()));
    await removeAll(made);
    await Promise.all([open?.stop(), secured?.stop()]);
  });

  describe('pulls', () => {
    let ex: DockerExecutor;
    before(async () => {
      ex = await executor();
    });

    it('pulls a missing image once for many waiting calls', async () => {
      const r = route({ image: publish(open, 'fresco-test/hello:1', 'pulled') });
      const results = await Promise.all([1, 2, 3, 4].map(() => ex.run(call(r))));
      assert.deepEqual(results.map((x) => x.result.toString()), Array(4).fill('Hello Bob\n'));
      assert.equal(ex.stats().pulls, 1);
    });

    it('pulls an image removed from the host again, once for many calls, and names it once the registry lost it too', async () => {
      const ref = publish(open, 'fresco-test/hello:1', 'removed');
      const r = route({ image: ref, path: '/removed' });
      assert.equal((await ex.run(call(r))).result.toString(), 'Hello Bob\n');
      const pulls = ex.stats().pulls;
      await rmi(ref);
      const again = await Promise.all([1, 2, 3].map(() => ex.run(call(r))));
      assert.deepEqual(again.map((x) => x.result.toString()), Array(3).fill('Hello Bob\n'));
      assert.equal(ex.stats().pulls, pulls + 1);
      assert.equal(await present(ref), true);
      await rmi(ref);
      open.deleteRepository!(`fresco-test-${run}/removed`);
      await assert.rejects(ex.run(call(r)), (err: Error & { code: string; status: number }) => {
        assert.equal(err.code, 'FRESCO_IMAGE_PULL_FAILED');
        assert.equal(err.status, 502);
        assert.ok(err.message.startsWith(`Pulling image ${ref} failed: `), err.message);
        assert.match(err.message, /not found|unknown/i);
        return true;
      });
    });

    it('throws FRESCO_IMAGE_PULL_FAILED naming an image no registry has', async () => {
      await assert.rejects(ex.run(call(route({ image: `${open.host}/fresco-test-${run}/absent:1` }))),
        { code: 'FRESCO_IMAGE_PULL_FAILED', status: 502, message: /absent:1/ });
    });

    it('throws FRESCO_IMAGE_PULL_FAILED when the registry cannot be reached', async () => {
      await assert.rejects(ex.run(call(route({ image: `127.0.0.1:${await freePort()}/fresco-test/unreachable:1` }))),
        { code: 'FRESCO_IMAGE_PULL_FAILED', status: 502 });
    });
  });

  describe('registry credentials', () => {
    let ref: string;
    const creds = (password: string): RegistryAuth => ({ username: USER, password, serveraddress: secured.host });
    before(() => {
      ref = publish(secured, 'fresco-test/hello:1', 'private');
    });
    afterEach(() => removeAll([ref]));

    it('pulls from a registry that needs auth with the configured credentials, and runs the image', async () => {
      const ex = await executor({ registryAuth: creds(PASSWORD) });
      const result = await ex.run(call(route({ image: ref })));
      assert.equal(result.result.toString(), 'Hello Bob\n');
      assert.equal(ex.stats().pulls, 1);
    });

    it('throws FRESCO_IMAGE_PULL_FAILED without credentials (the daemon has none of its own)', async () => {
      const ex = await executor();
      await assert.rejects(ex.run(call(route({ image: ref }))), (err: Error & { code: string }) => {
        assert.equal(err.code, 'FRESCO_IMAGE_PULL_FAILED');
        assert.match(err.message, refused(ref));
        assert.match(err.message, /no basic auth credentials/);
        return true;
      });
      assert.equal(await present(ref), false);
    });

    it('throws FRESCO_IMAGE_PULL_FAILED with wrong credentials, and never shows a password', async () => {
      const wrong = `Wrong-${run}-pw`;
      const ex = await executor({ registryAuth: creds(wrong) });
      await assert.rejects(ex.run(call(route({ image: ref }))), (err: Error & { code: string; status: number }) => {
        assert.equal(err.code, 'FRESCO_IMAGE_PULL_FAILED');
        assert.equal(err.status, 502);
        assert.match(err.message, refused(ref));
        assert.ok(!err.message.includes(wrong) && !err.message.includes(PASSWORD), err.message);
        assert.ok(!JSON.stringify(err).includes(wrong), 'the password is in a field of the error');
        return true;
      });
    });

    it('never asks a registry outside allowed_registries (loopback unless listed), while local images still run', async () => {
      const snoop = await startSnoopingRegistry();
      try {
        const strict = await executor({ allowedRegistries: [] });
        for (const image of [`${snoop.host}/fresco-test/internal:1`, `localhost:${snoop.host.split(':')[1]}/x:1`]) {
          await assert.rejects(strict.run(call(route({ image }))), (err: Error & { code: string }) => {
            assert.equal(err.code, 'FRESCO_IMAGE_PULL_FAILED');
            assert.ok(err.message.startsWith(`Pulling image ${image} failed: `), err.message);
            assert.match(err.message, /allowed_registries/);
            return true;
          });
        }
        assert.equal(strict.stats().pulls, 0);
        assert.equal((await strict.run(call(route()))).result.toString(), 'Hello Bob\n');
        const star = await executor({ allowedRegistries: ['*'] });
        await assert.rejects(star.run(call(route({ image: `${snoop.host}/x:1` }))), { message: /allowed_registries/ });
        assert.equal(star.stats().pulls, 0);
      } finally {
        await snoop.stop();
      }
    });

    it('never shows a registry\'s reply to the caller', async () => {
      const secret = `internal-secret-${run}`;
      // What an internal service might answer; Docker quotes a registry's error messages.
      const server = http.createServer((req, res) => {
        res.writeHead(req.url === '/v2/' ? 200 : 404,
          { 'Content-Type': 'application/json', 'Docker-Distribution-Api-Version': 'registry/2.0' });
        res.end(JSON.stringify({ errors: [{ code: 'MANIFEST_UNKNOWN', message: secret, detail: secret }] }));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      try {
        const image = `127.0.0.1:${(server.address() as AddressInfo).port}/fresco-test/internal:1`;
        await assert.rejects((await executor()).run(call(route({ image }))), (err: Error & { code: string }) => {
          assert.equal(err.code, 'FRESCO_IMAGE_PULL_FAILED');
          assert.ok(err.message.startsWith(`Pulling image ${image} failed: `), err.message);
          assert.ok(!err.message.includes(secret), err.message);
          return true;
        });
      } finally {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
      }
    });

    it('never sends the credentials to another registry than registry_server', async () => {
      const snoop = await startSnoopingRegistry();
      try {
        const ex = await executor({ registryAuth: creds(PASSWORD) });
        await assert.rejects(ex.run(call(route({ image: `${snoop.host}/fresco-test/leak:1` }))),
          { code: 'FRESCO_IMAGE_PULL_FAILED' });
        assert.deepEqual(snoop.authorizations, []);
      } finally {
        await snoop.stop();
      }
    });
  });

  describe('disk budget', () => {
    it('removes the least recently used unused image it pulled, never one in use nor one it did not pull', async () => {
      const local = `fresco-test-${run}/local:1`;
      await docker.getImage('fresco-test/probe:1').tag({ repo: `fresco-test-${run}/local`, tag: '1' });
      made.push(local);
      const [hot, a, b, c] = [
        publish(open, 'fresco-test/hot-http:1', 'hot'), publish(open, 'fresco-test/hello:1', 'a'),
        publish(open, 'fresco-test/env:1', 'b'), publish(open, 'fresco-test/fail:1', 'c'),
      ];
      const size = async (ref: string) => (await docker.getImage(ref).inspect()).Size;
      const [hotSize, aSize, cSize] = await Promise.all(['hot-http', 'hello', 'fail'].map((n) => size(`fresco-test/${n}:1`)));
      // Room for hot, a and c. Pulling c must remove b: hot is the least recently used image Fresco
      // pulled (removing it would not even be enough), but its container still uses it.
      const ex = await executor({ imageDiskBudgetBytes: hotSize + aSize + cSize });
      const use = (image: string, over = {}) =>
        ex.run(call(route({ image, path: `/${image.split('/').pop()!.replace(':', '-')}`, ...over })));

      await use(local); // oldest, but Fresco did not pull it
      await use(hot, { format: 'http', idleTimeout: 60 }); // its container stays: in use
      await use(a);
      await use(b);
      await use(a); // a is now more recent than b
      assert.equal(ex.stats().pulls, 3);
      await use(c);

      await waitFor('b to be evicted', async () => !(await present(b)));
      assert.deepEqual(await Promise.all([local, hot, a, c].map(present)), [true, true, true, true]);
      assert.equal(ex.stats().hot, 1);
      assert.equal((await use(hot, { format: 'http', idleTimeout: 60 })).status, 'success');
    });
  });
});
