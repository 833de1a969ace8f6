import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { loadConfig } from '../../../src/config/config';
import { endpointOf, parseCatalog } from '../../../src/auth';
import { swiftRefForUpdate, swiftRefOf, swiftUpload } from '../../../src/api/qinling/swift-code';
import { proxyOf } from '../../../src/store/swift-client';
import { SwiftPackageStore } from '../../../src/store/swift-package-store';
import { SwiftCodeSource } from '../../../src/store/swift-code-source';
import type { FrescoError } from '../../../src/errors';

// The pure parts of packages in Swift: the [swift] options and their defaults, the catalog
// lookup, the account URLs, the Qinling code references, and the store's answers to each status
// Swift may give (the real Swift is in test/integration/runtimes/swift-packages.test.ts).

const sha = (b: string) => createHash('sha256').update(b).digest('hex');

/** A SwiftPackageStore on a Swift that answers `statuses` in turn (`body` with a 200), recording the requests. */
function store(statuses: number[], body = '', index: Record<string, unknown> = {}) {
  const requests: string[] = [];
  const calls: string[] = [];
  const swift = {
    service: async (method: string, path: string) => {
      requests.push(`${method} ${path}`);
      const status = statuses.shift() ?? 500;
      return new Response(status === 200 ? body : null, { status });
    },
  };
  const s = new SwiftPackageStore({
    swift, containerPrefix: 'fresco_packages_',
    index: {
      get: async () => undefined, index: async (d: string) => { calls.push(`index ${d}`); },
      unusedIn: async (_p: string, d: string[]) => d, deleteUnreferenced: async () => { calls.push('deleteUnreferenced'); },
      ...index,
    } as never,
  });
  return { s, requests, calls };
}

describe('packages in Swift (pure parts)', () => {
  it('[swift] takes the service credentials of [keystone_authtoken] unless it names its own', () => {
    const { config } = loadConfig(undefined, {
      FRESCO_KEYSTONE_AUTH_URL: 'http://ks:5000/v3', FRESCO_KEYSTONE_USERNAME: 'fresco', FRESCO_KEYSTONE_PASSWORD: 's',
      FRESCO_SWIFT_ENABLED: 'true', FRESCO_SWIFT_PROJECT_NAME: 'packages',
    });
    assert.deepEqual([config.swift.auth_url, config.swift.username, config.swift.password, config.swift.project_name],
      ['http://ks:5000/v3', 'fresco', 's', 'packages']);
    assert.deepEqual([config.swift.interface, config.swift.container_prefix, config.swift.reseller_prefix], ['public', 'fresco_packages_', 'AUTH_']);
    assert.throws(() => loadConfig(undefined, { FRESCO_SWIFT_ENABLED: 'true' }), /\[swift\] auth_url \(or \[keystone_authtoken\] auth_url\) is required/);
    assert.equal(loadConfig(undefined, {}).config.swift.enabled, false);
  });

  it('finds the object-store endpoint of an interface and region in a token\'s catalog', () => {
    const catalog = parseCatalog({ token: { catalog: [
      { type: 'identity', endpoints: [{ interface: 'public', region_id: 'R1', url: 'http://ks' }] },
      { type: 'object-store', endpoints: [
        { interface: 'public', region_id: 'R1', url: 'http://s1:8080/v1/AUTH_p' },
        { interface: 'internal', region_id: 'R2', url: 'http://s2:8080/v1/AUTH_p' },
      ] },
    ] } });
    assert.equal(endpointOf(catalog, 'object-store', 'public'), 'http://s1:8080/v1/AUTH_p');
    assert.equal(endpointOf(catalog, 'object-store', 'internal', 'R2'), 'http://s2:8080/v1/AUTH_p');
    assert.equal(endpointOf(catalog, 'object-store', 'internal', 'R1'), undefined);
    assert.deepEqual(parseCatalog({ token: {} }), []);
    assert.equal(proxyOf('http://s1:8080/v1/AUTH_p'), 'http://s1:8080');
    assert.equal(proxyOf('https://swift.example/'), 'https://swift.example');
  });

  it('reads a Qinling code reference, refusing names that would leave the container', () => {
    assert.deepEqual(swiftRefOf({ container: 'fns', object: 'a/b.zip' }), { container: 'fns', object: 'a/b.zip' });
    assert.throws(() => swiftRefOf({ container: 'fns' }), /code\.swift\.object: must name the Swift object/);
    assert.throws(() => swiftRefOf({ container: 'a/b', object: 'x' }), /code\.swift\.container/);
    assert.throws(() => swiftRefOf({ container: 'fns', object: '../other/x' }), /code\.swift\.object/);
    // python-qinlingclient's update sends the dict's keys: the function's own object is taken again.
    const config = { QINLING_FUNCTION_SWIFT: '{"container":"fns","object":"f.zip"}' };
    assert.deepEqual(swiftRefForUpdate({ source: 'swift', swift: 'object' }, config), { container: 'fns', object: 'f.zip' });
    assert.deepEqual(swiftRefForUpdate({ swift: '{"container":"c2","object":"o2"}' }, config), { container: 'c2', object: 'o2' });
    assert.throws(() => swiftRefForUpdate({ swift: 'object' }, {}), /cannot switch to Swift/);
  });

  it('refuses Swift code naming [swift] when it is not enabled, and without Keystone', async () => {
    const ctx = (token: string, noauth: boolean) => ({ get: (h: string) => (h === 'X-Auth-Token' ? token : ''), state: { identity: { projectId: 'p', roles: [], noauth } } }) as never;
    const ref = () => ({ container: 'c', object: 'o' });
    await assert.rejects(swiftUpload(ctx('t', false), {}, ref), { status: 400, message: /"swift": this Fresco has no \[swift\] section enabled/ });
    const reader = { fetch: async () => ({ name: 'o', content: Buffer.from('x') }) };
    await assert.rejects(swiftUpload(ctx('', true), { swiftCode: reader }, ref), { status: 400, message: /runs without Keystone/ });
    assert.deepEqual((await swiftUpload(ctx('t', false), { swiftCode: reader }, ref)).config, { QINLING_FUNCTION_SWIFT: '{"container":"c","object":"o"}' });
  });

  it('creates the project\'s container when Swift has none, then stores the package and indexes it', async () => {
    const { s, requests, calls } = store([404, 201, 201]);
    await s.put('p1', sha('x'), Buffer.from('x'));
    assert.deepEqual(requests, [`PUT /fresco_packages_p1/${sha('x')}`, 'PUT /fresco_packages_p1', `PUT /fresco_packages_p1/${sha('x')}`]);
    assert.deepEqual(calls, [`index ${sha('x')}`]);
  });

  it('fails with 503 FRESCO_PACKAGE_STORE_UNAVAILABLE naming Swift\'s answer, and indexes nothing', async () => {
    const { s, calls } = store([503]);
    await assert.rejects(s.put('p1', sha('x'), Buffer.from('x')),
      { code: 'FRESCO_PACKAGE_STORE_UNAVAILABLE', status: 503, message: /Swift answered HTTP 503 to storing a package/ });
    assert.deepEqual(calls, []);
    await assert.rejects(store([403]).s.put('p1', sha('x'), Buffer.from('x')), { message: /the \[swift\] identity may not/ });
  });

  it('verifies what it reads, and reads a package stored before Swift from the database', async () => {
    assert.equal((await store([200], 'x').s.get('p1', sha('x')))?.toString(), 'x');
    await assert.rejects(store([200], 'y').s.get('p1', sha('x')), { code: 'FRESCO_PACKAGE_CORRUPT' });
    const old = store([404], '', { get: async () => Buffer.from('x') });
    assert.equal((await old.s.get('p1', sha('x')))?.toString(), 'x');
  });

  it('deletes the objects the project no longer uses, a missing one being no failure', async () => {
    const { s, requests, calls } = store([204, 404], '', { unusedIn: async () => ['a', 'b'] });
    await s.deleteUnreferenced('p1', ['a', 'b', 'c']);
    assert.deepEqual(requests, ['DELETE /fresco_packages_p1/a', 'DELETE /fresco_packages_p1/b']);
    assert.deepEqual(calls, ['deleteUnreferenced']);
  });
});

describe('code read from a user\'s Swift object (SwiftCodeSource)', () => {
  const ref = { container: 'code', object: 'dir/hello.py' };

  /** A Swift whose GET answers `chunks` as a stream (Content-Length only when `length` is given); counts what was read. */
  function swiftOf(chunks: Buffer[], length?: number) {
    const seen = { pulled: 0, cancelled: false, path: '' };
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        if (seen.pulled === chunks.length) return c.close();
        c.enqueue(chunks[seen.pulled++]);
      },
      cancel() { seen.cancelled = true; },
    }, { highWaterMark: 0 });
    const swift = {
      asUser: async (_token: string, _project: string, _method: string, path: string) => {
        seen.path = path;
        return new Response(body, { status: 200, headers: length === undefined ? {} : { 'content-length': String(length) } });
      },
    };
    return { source: new SwiftCodeSource({ swift, maxSize: 1000 }), seen };
  }

  it('refuses an object whose Content-Length is over the package limit, naming both, without reading it', async () => {
    const { source, seen } = swiftOf([Buffer.alloc(600), Buffer.alloc(600)], 1200);
    await assert.rejects(source.fetch('tok', 'p1', ref), (err: FrescoError) => {
      assert.equal(err.code, 'FRESCO_PACKAGE_INVALID');
      assert.equal(err.status, 400);
      assert.match(err.message, /code\/dir\/hello\.py is 1200 bytes, over the limit of 1000 bytes/);
      return true;
    });
    assert.equal(seen.pulled, 0, 'nothing of the body was read');
  });

  it('stops a body without Content-Length once it passes the limit, and cancels the rest of the download', async () => {
    const { source, seen } = swiftOf(Array.from({ length: 10 }, () => Buffer.alloc(400, 'x')));
    await assert.rejects(source.fetch('tok', 'p1', ref), (err: FrescoError) => {
      assert.equal(err.code, 'FRESCO_PACKAGE_INVALID');
      assert.match(err.message, /is 1200 bytes, over the limit of 1000 bytes/);
      return true;
    });
    assert.ok(seen.pulled <= 4, `read ${seen.pulled} of 10 chunks`);
    assert.equal(seen.cancelled, true, 'the download was cancelled');
  });

  it('takes an object up to the limit: a zip (by its content) as package.zip, anything else under its own name', async () => {
    const text = swiftOf([Buffer.from('def main'), Buffer.from('(): pass\n')]);
    const file = await text.source.fetch('tok', 'p1', ref);
    assert.equal(file.name, 'hello.py');
    assert.equal(file.content.toString(), 'def main(): pass\n');
    assert.equal(text.seen.path, '/code/dir/hello.py');
    const zip = swiftOf([Buffer.from('PK\x03\x04rest', 'latin1'), Buffer.alloc(996 - 8)], 996);
    const archive = await zip.source.fetch('tok', 'p1', { container: 'code', object: 'pkg' });
    assert.equal(archive.name, 'package.zip');
    assert.equal(archive.content.length, 996);
  });
});
