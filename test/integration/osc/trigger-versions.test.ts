import assert from 'node:assert/strict';
import { OscWorld } from './osc-world';

// `openstack fn trigger create|set --route-version N | --alias NAME` against a Fresco with Keystone
// and PostgreSQL (osc-world.ts): a trigger runs a published version or an alias of its route
// (docs/api.md, "Versions and aliases"), and what a trigger runs cannot be deleted.

describe('openstack fn trigger with versions and aliases (OSC plugin)', function () {
  this.timeout(240_000);
  let world: OscWorld;
  const app = `trv${process.pid}`;

  before(async () => {
    world = await OscWorld.start('trigger-versions');
  });
  after(async () => {
    await world?.stop();
  });

  it('creates and sets a trigger\'s version or alias, and refuses to delete what it runs', async () => {
    await world.json('DEMO', ['fn', 'app', 'create', app]);
    await world.json('DEMO', ['fn', 'route', 'create', app, '/tick', '--image', 'example/tick:1']);
    for (let i = 0; i < 2; i++) await world.json('DEMO', ['fn', 'route', 'version', 'create', app, '/tick']);
    await world.json('DEMO', ['fn', 'alias', 'create', app, '/tick', 'live', '--route-version', '1']);

    const created = await world.json('DEMO', ['fn', 'trigger', 'create', 'nightly', '--type', 'schedule', '--app', app,
      '--route', '/tick', '--schedule', '0 3 * * *', '--route-version', '2']);
    assert.deepEqual([created.version, created.alias], [2, null]);
    const both = await world.osc('DEMO', ['fn', 'trigger', 'create', 'x', '--type', 'alarm', '--app', app, '--route', '/tick',
      '--route-version', '1', '--alias', 'live']);
    assert.notEqual(both.code, 0);
    assert.match(both.stderr, /not allowed with argument/);
    const missing = await world.osc('DEMO', ['fn', 'trigger', 'create', 'x', '--type', 'alarm', '--app', app, '--route', '/tick',
      '--route-version', '7']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /trigger\.version: .*no version 7/);
    assert.doesNotMatch(missing.stderr, /Traceback/);

    const inUse = await world.osc('DEMO', ['fn', 'route', 'version', 'delete', app, '/tick', '2']);
    assert.equal(inUse.code, 1);
    assert.match(inUse.stderr, /FRESCO_ROUTE_VERSION_IN_USE|"nightly"/);

    const viaAlias = await world.json('DEMO', ['fn', 'trigger', 'set', 'nightly', '--alias', 'live']);
    assert.deepEqual([viaAlias.version, viaAlias.alias], [null, 'live']);
    const listed = await world.json('DEMO', ['fn', 'trigger', 'list']);
    assert.deepEqual(listed.map((t: { Name: string; Version: number | null; Alias: string | null }) => [t.Name, t.Version, t.Alias]),
      [['nightly', null, 'live']]);
    const aliasInUse = await world.osc('DEMO', ['fn', 'alias', 'delete', app, '/tick', 'live']);
    assert.equal(aliasInUse.code, 1);
    assert.match(aliasInUse.stderr, /"nightly"/);
    await world.ok('DEMO', ['fn', 'route', 'version', 'delete', app, '/tick', '2']);

    const now = await world.json('DEMO', ['fn', 'trigger', 'set', 'nightly', '--route-version', '0', '--disable']);
    assert.deepEqual([now.version, now.alias, now.enabled], [null, null, false]);
    await world.ok('DEMO', ['fn', 'alias', 'delete', app, '/tick', 'live']);
    await world.ok('DEMO', ['fn', 'trigger', 'delete', 'nightly']);
  });
});
