import assert from 'node:assert/strict';
import { AllWorld } from '../../helpers/all-world';
import { waitFor } from '../../helpers/wait';
import { ownImage } from '../executor/fixtures';

// Live logs end to end: `fresco all` on real PostgreSQL and Docker; a function writing a line
// (and a FRESCO_PROGRESS line) every 0.3 s for 1.5 s. A follower sees its first line while the
// call still runs, the whole log once it ends, and never the pre-started launcher's trailer.
describe('live logs on real Docker: GET .../log?follow=true and FRESCO_PROGRESS', function () {
  this.timeout(120_000);
  const w = new AllWorld({ name: 'follow' });
  const post = (url: string, body: unknown) => w.post(url, body);
  const getCall = (id: string) => w.getCall(id);

  before(async () => {
    await w.start();
    await w.createRoutes('lf', [{ path: '/tick', image: ownImage('ticker'), type: 'async', timeout: 30 }]);
  });
  after(() => w.stop());

  // Twice: the route's first call runs cold, later ones may run in a pre-started container
  // (whose launcher ends stderr with its trailer).
  for (const n of [1, 2]) {
    it(`call ${n}: the follower gets the first line while the call runs, then the whole log as the call ends`, async () => {
      const id: string = (await (await post('/v1/r/demo/lf/tick', `run ${n}`)).json()).call_id;
      await waitFor('the function to start', async () => (await getCall(id)).started_at !== null, 60_000, 20);
      const res = await fetch(`${w.base}/v1/demo/calls/${id}/log?follow=true`);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('x-fresco-log-follow'), 'live');
      const got = { text: '', ended: false };
      void (async () => {
        const reader = res.body!.getReader();
        const dec = new TextDecoder();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          got.text += dec.decode(value, { stream: true });
        }
        got.ended = true;
      })();
      await waitFor('the first line at the follower', () => got.text.includes('tick 1\n'), 30_000, 10);
      const during = await getCall(id);
      assert.equal(during.status, 'running', 'the first line arrived before the call ended');
      assert.ok(during.progress >= 20 && during.progress < 100, `progress while running: ${during.progress}`);
      assert.match(during.progress_message, /^tick \d$/);
      await waitFor('the follow to end', () => got.ended, 30_000, 20);
      const call = await getCall(id);
      assert.equal(call.status, 'success', call.error);
      assert.equal(call.result, `ticked run ${n}\n`);
      assert.equal(call.progress, 100);
      assert.equal(call.progress_message, 'tick 5');
      const stored = await (await fetch(`${w.base}/v1/demo/calls/${id}/log`)).text();
      assert.equal(got.text, stored, 'the follower saw exactly the stored log');
      assert.match(stored, /^tick 1\nFRESCO_PROGRESS 20 tick 1\n[\s\S]*tick 5\nFRESCO_PROGRESS 100 tick 5\n$/);
      assert.doesNotMatch(got.text, /FRESCO-END-/);
    });
  }
});
