import assert from 'node:assert/strict';
import { OscWorld } from './osc-world';

// `openstack fn quota ...` against a Fresco with Keystone and PostgreSQL (osc-world.ts): the project
// reads its limits, only an admin sets or removes them.

describe('openstack fn quota (OSC plugin) with the real Keystone', function () {
  this.timeout(180_000);
  let world: OscWorld;

  before(async () => {
    world = await OscWorld.start('quota');
  });
  after(async () => {
    await world?.stop();
  });

  it('shows the project\'s limits, lets an admin set and delete them, and refuses a member', async () => {
    const shown = await world.json('DEMO', ['fn', 'quota', 'show']);
    assert.deepEqual([shown.running_calls, shown.queued_calls, shown.calls_per_second], [0, 0, 0]);
    const project = String(shown.project_id);

    const refused = await world.osc('DEMO', ['fn', 'quota', 'set', '--running-calls', '3']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr + refused.stdout, /FRESCO_POLICY_FORBIDDEN/, JSON.stringify(refused));
    const bad = await world.osc('ADMIN', ['fn', 'quota', 'set', '--project', project, '--running-calls', '-1']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /whole number/);

    const set = await world.json('ADMIN', ['fn', 'quota', 'set', '--project', project, '--running-calls', '3', '--calls-per-second', '40']);
    assert.deepEqual([set.project_id, set.running_calls, set.running_calls_set, set.calls_per_second, set.queued_calls_set],
      [project, 3, 3, 40, null]);
    const seen = await world.json('DEMO', ['fn', 'quota', 'show']);
    assert.deepEqual([seen.running_calls, seen.calls_per_second], [3, 40]);
    const back = await world.json('ADMIN', ['fn', 'quota', 'set', '--project', project, '--calls-per-second', 'default']);
    assert.deepEqual([back.running_calls, back.calls_per_second, back.calls_per_second_set], [3, 0, null]);

    assert.equal((await world.osc('DEMO', ['fn', 'quota', 'delete'])).code, 1, 'a member may not delete them');
    await world.ok('ADMIN', ['fn', 'quota', 'delete', '--project', project]);
    const after = await world.json('DEMO', ['fn', 'quota', 'show']);
    assert.deepEqual([after.running_calls, after.running_calls_set], [0, null]);
  });
});
