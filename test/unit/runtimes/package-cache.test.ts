import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_LIMITS } from '../../../src/runtimes/archive';
import { PackageCache } from '../../../src/runtimes/package-cache';
import { buildZip } from '../../helpers/zip-builder';

// The engine's package cache: unpacks each package once per digest, shares one unpack between
// concurrent calls, evicts the least recently used past its budget, and fails a call whose
// package cannot be had.

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function exists(p: string): Promise<boolean> {
  return fs.access(p).then(() => true, () => false);
}

// Eviction removes the directory in the background: poll until it is gone.
async function waitGone(p: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (!(await exists(p))) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`${p} is still there`);
}

describe('PackageCache', () => {
  let dir: string;
  let stored: Map<string, Buffer>;
  let reads: number;
  const store = { get: async (_projectId: string, digest: string) => { reads++; return stored.get(digest); } };
  const put = (content: Buffer) => { stored.set(sha(content), content); return sha(content); };

  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'fresco-cache-'));
    stored = new Map();
    reads = 0;
  });
  afterEach(() => fs.rm(dir, { recursive: true, force: true }));

  it('unpacks a zip once, even for concurrent calls, into a directory others may read', async () => {
    const zip = buildZip([{ name: 'main.py', data: 'def main(e, c): return 1\n' }]);
    const digest = put(zip);
    const cache = new PackageCache({ packages: store, dir: path.join(dir, 'c'), budgetBytes: 1 << 20, limits: DEFAULT_LIMITS });
    const code = { digest, entry: 'main.main', calling: 'lambda' as const };
    const [a, b] = await Promise.all([cache.dirFor(code, 'p'), cache.dirFor(code, 'p')]);
    assert.equal(a, b);
    assert.equal(await cache.dirFor(code, 'p'), a);
    assert.equal(reads, 1, 'the store was read once');
    assert.equal(await fs.readFile(path.join(a, 'main.py'), 'utf8'), 'def main(e, c): return 1\n');
    assert.equal((await fs.stat(a)).mode & 0o777, 0o755);
  });

  it('evicts the least recently used package past its budget and removes its directory', async () => {
    const cache = new PackageCache({ packages: store, dir: path.join(dir, 'c'), budgetBytes: 250, limits: DEFAULT_LIMITS });
    const code = ['a', 'b', 'c'].map((n) => ({ digest: put(Buffer.alloc(100, n)), file: `${n}.py`, entry: `${n}.main`, calling: 'lambda' as const }));
    const da = await cache.dirFor(code[0], 'p');
    const db = await cache.dirFor(code[1], 'p');
    await cache.dirFor(code[0], 'p'); // a is now more recent than b
    const dc = await cache.dirFor(code[2], 'p');
    await waitGone(db);
    assert.ok(await exists(path.join(da, 'a.py')), 'a stays');
    assert.ok(await exists(path.join(dc, 'c.py')), 'c is there');
    const again = await cache.dirFor(code[1], 'p');
    assert.equal(await fs.readFile(path.join(again, 'b.py'), 'utf8'), 'b'.repeat(100), 'b comes back on demand');
    assert.notEqual(again, db, 'in a new directory: containers that mounted the old one are retired, not left on removed files');
  });

  it('fails with FRESCO_PACKAGE_CORRUPT when the store has no such package', async () => {
    const cache = new PackageCache({ packages: store, dir: path.join(dir, 'c'), budgetBytes: 1 << 20, limits: DEFAULT_LIMITS });
    await assert.rejects(cache.dirFor({ digest: 'f'.repeat(64), entry: 'a.main', calling: 'lambda' }, 'p'), { code: 'FRESCO_PACKAGE_CORRUPT' });
  });
});
