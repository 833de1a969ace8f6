import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkPackage, DEFAULT_LIMITS, unpack } from '../../../src/runtimes/archive';
import { buildZip } from '../../helpers/zip-builder';

const limits = { ...DEFAULT_LIMITS, maxSize: 1024 * 1024, maxUnpacked: 4 * 1024 * 1024 };

async function refusal(name: string, content: Buffer, l = limits): Promise<string> {
  const err = await checkPackage(name, content, l).then(() => undefined, (e) => e);
  assert.ok(err, 'expected a refusal');
  assert.equal(err.code, 'FRESCO_PACKAGE_INVALID');
  assert.equal(err.status, 400);
  return err.message;
}

describe('code packages (archive checks)', () => {
  let dir: string;
  beforeEach(async () => { dir = await fs.mkdtemp(path.join(os.tmpdir(), 'fresco-archive-')); });
  afterEach(() => fs.rm(dir, { recursive: true, force: true }));

  it('accepts a single file and unpacks it under its own name', async () => {
    const content = Buffer.from('def main(e, c):\n    return e\n');
    const p = await checkPackage('hello.py', content, limits);
    assert.equal(p.file, 'hello.py');
    assert.match(p.digest, /^[0-9a-f]{64}$/);
    await unpack(content, p.file, path.join(dir, 'x'), limits);
    assert.equal(await fs.readFile(path.join(dir, 'x', 'hello.py'), 'utf8'), content.toString());
  });

  it('accepts a zip with several modules, directories and an inner symlink', async () => {
    const zip = buildZip([
      { name: 'lib/', mode: 0o040755 },
      { name: 'lib/util.py', data: 'X = 1\n', deflate: true },
      { name: 'main.py', data: 'from lib import util\n' },
      { name: 'alias.py', data: 'main.py', mode: 0o120777 },
    ]);
    const p = await checkPackage('code.zip', zip, limits);
    assert.equal(p.file, undefined);
    assert.equal(p.unpackedSize, 'X = 1\n'.length + 'from lib import util\n'.length + 'main.py'.length);
    await unpack(zip, undefined, path.join(dir, 'x'), limits);
    assert.equal(await fs.readFile(path.join(dir, 'x', 'lib', 'util.py'), 'utf8'), 'X = 1\n');
    assert.equal(await fs.readlink(path.join(dir, 'x', 'alias.py')), 'main.py');
  });

  it('refuses a zip-slip path', async () => {
    assert.match(await refusal('c.zip', buildZip([{ name: '../evil.py', data: 'x' }])), /\.\.\/evil\.py leaves the package \(zip-slip\)/);
    assert.match(await refusal('c.zip', buildZip([{ name: 'a/../../evil.py', data: 'x' }])), /zip-slip/);
  });

  it('refuses an absolute path', async () => {
    assert.match(await refusal('c.zip', buildZip([{ name: '/etc/cron.d/evil', data: 'x' }])), /absolute path \/etc\/cron\.d\/evil/);
  });

  it('refuses a symlink out of the tree, relative or absolute', async () => {
    assert.match(await refusal('c.zip', buildZip([{ name: 'a/link', data: '../../etc/passwd', mode: 0o120777 }])),
      /symlink a\/link points out of the package/);
    assert.match(await refusal('c.zip', buildZip([{ name: 'link', data: '/etc/passwd', mode: 0o120777 }])),
      /symlink link points out of the package \(to \/etc\/passwd\)/);
  });

  it('refuses a package over the size limit', async () => {
    assert.match(await refusal('big.py', Buffer.alloc(limits.maxSize + 1, 0x61)), /over the limit of 1048576 bytes/);
  });

  it('refuses a zip bomb: declared size over the unpacked limit', async () => {
    const zip = buildZip([{ name: 'a.txt', data: 'x', deflate: true, declaredSize: limits.maxUnpacked + 1 }]);
    assert.match(await refusal('c.zip', zip), /zip bomb: the files declare more than/);
  });

  it('refuses a zip bomb: an entry that expands too many times', async () => {
    const zip = buildZip([{ name: 'zeros', data: Buffer.alloc(3 * 1024 * 1024), deflate: true }]);
    assert.match(await refusal('c.zip', zip), /zip bomb: zeros expands \d+ times, over the limit of 200/);
  });

  it('refuses a zip bomb: data larger than declared', async () => {
    const zip = buildZip([{ name: 'liar', data: Buffer.alloc(5000, 0x61), deflate: true, declaredSize: 10 }]);
    assert.match(await refusal('c.zip', zip), /zip bomb: liar's data does not match its declared size/);
  });

  it('refuses input that is not a zip', async () => {
    assert.match(await refusal('code.zip', Buffer.from('def main(): pass\n')), /not a zip archive/);
  });

  it('refuses an empty zip and a bad file name', async () => {
    assert.match(await refusal('code.zip', buildZip([{ name: 'd/', mode: 0o040755 }])), /holds no files/);
    assert.match(await refusal('../hello.py', Buffer.from('x')), /file name "\.\.\/hello\.py"/);
  });
});
