import assert from 'node:assert/strict';
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DockerExecutor } from '../../../src/executor';
import { waitFor } from '../../helpers/wait';
import { call, docker, route, startExecutor } from './fixtures';

const REGISTRY = '127.0.0.1:5055';

// Pulls on first use from a real registry (Debian's docker-registry on a loopback port).
describe('executor: images', function () {
  this.timeout(90_000);
  let registry: ChildProcess;
  let dir: string;
  let ex: DockerExecutor;
  const ref = `${REGISTRY}/fresco-test/pulled:${Date.now()}`;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'fresco-registry-'));
    writeFileSync(path.join(dir, 'config.yml'),
      `version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: ${dir}/data\nhttp:\n  addr: ${REGISTRY}\n`);
    registry = spawn('/usr/bin/docker-registry', ['serve', path.join(dir, 'config.yml')], { stdio: 'ignore' });
    await waitFor('the registry', async () => (await fetch(`http://${REGISTRY}/v2/`)).ok);
    ex = await startExecutor({ prestartPerRoute: 0 });
    execFileSync('docker', ['tag', 'fresco-test/hello:1', ref]);
    execFileSync('docker', ['push', '-q', ref], { stdio: 'ignore' });
    await docker.getImage(ref).remove();
  });
  after(async () => {
    await ex?.stop();
    await docker.getImage(ref).remove().catch(() => undefined);
    registry?.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it('pulls a missing image once for many waiting calls', async () => {
    const r = route({ image: ref });
    const results = await Promise.all([1, 2, 3, 4].map(() => ex.run(call(r))));
    assert.deepEqual(results.map((x) => x.output.toString()), Array(4).fill('Hello Bob\n'));
    assert.equal(ex.images.pullCount, 1);
  });

  it('throws FRESCO_IMAGE_PULL_FAILED naming an image no registry has', async () => {
    await assert.rejects(ex.run(call(route({ image: `${REGISTRY}/fresco-test/absent:1` }))),
      { code: 'FRESCO_IMAGE_PULL_FAILED', status: 502, message: /absent:1/ });
  });

  it('throws FRESCO_IMAGE_PULL_FAILED when the registry cannot be reached', async () => {
    await assert.rejects(ex.run(call(route({ image: '127.0.0.1:5059/fresco-test/unreachable:1' }))),
      { code: 'FRESCO_IMAGE_PULL_FAILED', status: 502 });
  });
});
