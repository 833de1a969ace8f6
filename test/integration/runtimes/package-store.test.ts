import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createTestDb, TestDb } from '../../helpers/db';
import { KnexPackageStore } from '../../../src/store/package-store';
import { KnexRuntimeStore } from '../../../src/store/runtime-store';

// The package and runtime stores on real PostgreSQL: content addressing, verification on read,
// clean-up of packages no route uses, runtime names unique.

describe('code packages and runtimes in PostgreSQL', () => {
  let t: TestDb;
  let packages: KnexPackageStore;
  let runtimes: KnexRuntimeStore;
  const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
  before(async () => {
    t = await createTestDb();
    packages = new KnexPackageStore(t.db);
    runtimes = new KnexRuntimeStore(t.db);
  });
  after(() => t.drop());

  it('keeps the same bytes once and gives them back verified', async () => {
    const content = Buffer.from('def main(e, c):\n    return e\n');
    await packages.put('p', sha(content), content);
    await packages.put('p', sha(content), content);
    assert.equal(Number((await t.db('code_packages').count<{ n: string }[]>({ n: '*' }))[0].n), 1);
    assert.deepEqual(await packages.get('p', sha(content)), content);
    assert.equal(await packages.get('p', '0'.repeat(64)), undefined);
  });

  it('refuses stored bytes that no longer match their digest', async () => {
    const content = Buffer.from('print(1)\n');
    await packages.put('p', sha(content), content);
    await t.db('code_packages').where({ digest: sha(content) }).update({ content: Buffer.from('print(2)\n') });
    await assert.rejects(packages.get('p', sha(content)), { code: 'FRESCO_PACKAGE_CORRUPT', status: 500 });
  });

  it('removes only the packages no route refers to', async () => {
    const used = Buffer.from('used\n');
    const unused = Buffer.from('unused\n');
    await packages.put('p', sha(used), used);
    await packages.put('p', sha(unused), unused);
    const now = new Date();
    const [app] = await t.db('apps').insert({ id: '00000000-0000-4000-8000-000000000001', project_id: 'p', name: 'a', created_at: now, updated_at: now }).returning('id');
    await t.db('routes').insert({
      id: '00000000-0000-4000-8000-000000000002', app_id: app.id, project_id: 'p', app_name: 'a', path: '/x', image: '',
      type: 'sync', format: 'json', memory: 128, timeout: 30, idle_timeout: 30, max_concurrency: 1,
      runtime: 'python3', entry: 'x.main', code_digest: sha(used), created_at: now, updated_at: now,
    });
    await packages.deleteUnreferenced('p', [sha(used), sha(unused)]);
    assert.ok(await packages.get('p', sha(used)));
    assert.equal(await packages.get('p', sha(unused)), undefined);
  });

  it('registers runtimes once per name and refuses to delete one a route uses', async () => {
    await runtimes.create({ name: 'python3', image: 'fresco/runtime-python3:latest', description: '' });
    await assert.rejects(runtimes.create({ name: 'python3', image: 'x:1', description: '' }), { code: 'FRESCO_RUNTIME_EXISTS' });
    await assert.rejects(runtimes.delete('python3'), { code: 'FRESCO_RUNTIME_IN_USE' });
    await runtimes.create({ name: 'spare', image: 'x:1', description: '' });
    assert.equal(await runtimes.delete('spare'), true);
    assert.equal(await runtimes.delete('spare'), false);
    assert.deepEqual((await runtimes.list()).map((r) => r.name), ['python3']);
  });
});
