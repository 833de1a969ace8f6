import assert from 'node:assert/strict';
import { ownImage } from '../executor/fixtures';
import { waitFor } from '../../helpers/wait';
import { OscWorld } from './osc-world';

// `openstack fn deadletter ...` against a Fresco with Keystone, PostgreSQL and Docker (osc-world.ts):
// a failing async call becomes a dead letter; the CLI lists, shows, redrives and purges it.

describe('openstack fn deadletter and fn call replay (OSC plugin) with the real Keystone', function () {
  this.timeout(180_000);
  let world: OscWorld;
  const app = `dlapp${process.pid}`;

  before(async () => {
    world = await OscWorld.start('deadletter');
  });
  after(async () => {
    await world?.stop();
  });

  it('lists and shows a failed async call\'s dead letter, redrives it after the fix, and purges', async () => {
    await world.ok('DEMO', ['fn', 'app', 'create', app]);
    await world.ok('DEMO', ['fn', 'route', 'create', app, '/job', '--image', ownImage('fail'), '--type', 'async']);
    const run = await world.json('DEMO', ['fn', 'run', app, '/job', '--data', 'order 7']);
    assert.ok(run.call_id);
    let items: Array<Record<string, unknown>> = [];
    await waitFor('the dead letter', async () => {
      items = await world.json('DEMO', ['fn', 'deadletter', 'list', '--app', app, '--long']);
      return items.length === 1;
    }, 60_000, 250);
    assert.deepEqual([items[0]['Call ID'], items[0].Reason, items[0].Kind, items[0]['Error Code']],
      [run.call_id, 'error', 'call', 'FRESCO_CALL_FAILED']);
    const id = String(items[0].ID);
    const shown = await world.json('DEMO', ['fn', 'deadletter', 'show', id]);
    assert.deepEqual([shown.body, shown.body_encoding, shown.route], ['order 7', 'utf8', '/job']);
    assert.equal(shown.headers['x-auth-token'], undefined, 'no credential kept');

    await world.ok('DEMO', ['fn', 'route', 'set', app, '/job', '--image', ownImage('env')]);
    const redriven = await world.json('DEMO', ['fn', 'deadletter', 'redrive', id]);
    assert.equal(redriven.length, 1);
    const callId = String(redriven[0]['Call ID']);
    await waitFor('the redriven call to succeed', async () =>
      (await world.json('DEMO', ['fn', 'call', 'show', callId])).status === 'success', 60_000, 250);
    assert.equal((await world.json('DEMO', ['fn', 'call', 'show', callId])).redrive_of, id);
    const replay = await world.json('DEMO', ['fn', 'call', 'replay', callId]);
    assert.equal(replay.replay_of, callId);
    await waitFor('the replay to succeed', async () =>
      (await world.json('DEMO', ['fn', 'call', 'show', replay.id])).status === 'success', 60_000, 250);
    const again = await world.osc('DEMO', ['fn', 'deadletter', 'redrive', id]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already redriven/);

    const alt = await world.osc('ALT', ['fn', 'deadletter', 'show', id]);
    assert.equal(alt.code, 1);
    assert.match(alt.stderr, /FRESCO_DEADLETTER_NOT_FOUND/);
    const none = await world.osc('DEMO', ['fn', 'deadletter', 'purge']);
    assert.equal(none.code, 1, 'purge names a set or --all');
    const purged = await world.json('DEMO', ['fn', 'deadletter', 'purge', '--all']);
    assert.equal(purged.purged, 1);
    assert.deepEqual(await world.json('DEMO', ['fn', 'deadletter', 'list']), []);
  });
});
