import assert from 'node:assert/strict';
import { ownImage } from '../executor/fixtures';
import { waitFor } from '../../helpers/wait';
import { OscWorld } from './osc-world';

// `openstack fn call log <call> --follow` (osc/) against `fresco all` with Keystone and Docker:
// the function (test image "ticker") writes a line every 0.3 s for 9 s (the CLI takes seconds to
// start); the CLI prints the first line
// before the call ends and exits with the call, having printed its whole log; `call show`
// has the progress the function reported.
describe('openstack fn call log --follow and progress in call show', function () {
  this.timeout(180_000);
  let world: OscWorld;
  const app = `oscfollow${process.pid}`;

  before(async () => {
    world = await OscWorld.start('follow');
    await world.json('DEMO', ['fn', 'app', 'create', app]);
    await world.json('DEMO', ['fn', 'route', 'create', app, '/tick', '--image', ownImage('ticker'), '--type', 'async', '--timeout', '60', '--config', 'TICKS=30']);
  });
  after(async () => { await world?.stop(); });

  it('streams the log while the call runs and ends with it', async () => {
    const run = await world.json('DEMO', ['fn', 'run', app, '/tick', '--data', 'cli']);
    const id: string = run.call_id;
    await waitFor('the call to start', async () => (await world.json('DEMO', ['fn', 'call', 'show', id])).started_at, 60_000, 50);
    const child = world.spawn('DEMO', ['fn', 'call', 'log', id, '--follow']);
    let out = '';
    let err = '';
    let firstLineAt = 0;
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      if (!firstLineAt && out.includes('tick')) firstLineAt = Date.now();
    });
    child.stderr!.on('data', (c: Buffer) => { err += c.toString(); });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    assert.equal(code, 0, err);
    const call = await world.json('DEMO', ['fn', 'call', 'show', id]);
    assert.equal(call.status, 'success');
    assert.ok(firstLineAt > 0 && firstLineAt < Date.parse(call.completed_at),
      `the first line (${new Date(firstLineAt).toISOString()}) came before the call ended (${call.completed_at})`);
    assert.equal(out, await world.ok('DEMO', ['fn', 'call', 'log', id]), 'the followed log is the stored log');
    assert.match(out, /tick 30\n/);
    assert.equal(call.progress, 100);
    assert.equal(call.progress_message, 'tick 30');
  });
});
