import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import axios from 'axios';
import { start, Started } from '../../../src/main';
import { testConfig } from '../../helpers/api';
import { createTestDb, TestDb } from '../../helpers/db';
import { waitFor } from '../../helpers/wait';

// The quick start's examples, as a user runs them: examples/build.sh builds the three hello
// images with no registry, then each runs through the API on a route of its format, on /r and
// on /v1/r, and its stderr shows up in the calls API.

const ROOT = path.resolve(__dirname, '../../..');
const EXAMPLES: Array<{ image: string; format: string }> = [
  { image: 'fresco/hello:latest', format: 'default' },
  { image: 'fresco/hello-http:latest', format: 'http' },
  { image: 'fresco/hello-json:latest', format: 'json' },
];

describe('examples/ (the quick start), through the API', function () {
  this.timeout(60_000);
  let t: TestDb;
  let fresco: Started;
  let base: string;
  let stateDir: string;
  const P = 'demo';
  const http = axios.create({ validateStatus: () => true, transformResponse: (d) => d });

  before(async function () {
    this.timeout(180_000);
    execFileSync('bash', [path.join(ROOT, 'examples/build.sh')], { stdio: ['ignore', 'ignore', 'inherit'] });
    t = await createTestDb();
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fresco-examples-'));
    fresco = await start(testConfig({
      FRESCO_DATABASE_CONNECTION: t.url, FRESCO_BIND_PORT: '0', FRESCO_STATE_PATH: stateDir,
      FRESCO_ENGINE_ENGINE_ID: `test-examples-${randomUUID().slice(0, 8)}`,
    }), 'all');
    base = `http://127.0.0.1:${fresco.address!.port}`;
    assert.equal((await http.post(`${base}/v1/${P}/apps`, { app: { name: 'hello' } })).status, 200);
  });
  after(async () => {
    await fresco?.stop();
    await t?.drop();
    if (stateDir) fs.rmSync(stateDir, { recursive: true, force: true });
  });

  for (const { image, format } of EXAMPLES) {
    it(`runs ${image} as a ${format}-format route`, async () => {
      const route = `/${format}`;
      const created = await http.post(`${base}/v1/${P}/apps/hello/routes`,
        { route: { path: route, image, format, is_public: true } });
      assert.equal(created.status, 200, created.data);

      const pub = await http.post(`${base}/r/hello${route}`, 'Bob', { headers: { 'Content-Type': 'text/plain' } });
      assert.equal(pub.status, 200, pub.data);
      assert.equal(pub.data, 'Hello Bob\n');

      const v1 = await http.post(`${base}/v1/r/${P}/hello${route}`, 'World');
      assert.equal(v1.status, 200, v1.data);
      const answer = JSON.parse(v1.data);
      assert.equal(answer.result, 'Hello World\n');

      const log = await waitFor('the call log', async () => {
        const res = await http.get(`${base}/v1/${P}/calls/${answer.call_id}/log`);
        return res.status === 200 && res.data.includes(answer.call_id) ? res.data : undefined;
      });
      assert.match(log, /^hello(-http|-json)?: call /);
      const call = JSON.parse((await http.get(`${base}/v1/${P}/calls/${answer.call_id}`)).data).call;
      assert.equal(call.status, 'success');
    });
  }
});
