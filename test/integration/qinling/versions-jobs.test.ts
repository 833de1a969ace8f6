import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { waitFor } from '../../helpers/wait';
import { OscUser, OscWorld } from '../osc/osc-world';

// Debian's python3-qinlingclient: jobs and webhooks that run a function version or an alias
// (`--function-version`, `--function-alias`), against Fresco's Qinling-compatible API (docs/qinling.md),
// with the real Keystone, PostgreSQL and Docker running the Python runtime. An alias is looked up
// when the job fires, so a job follows an alias that moved.

const ROOT = path.resolve(__dirname, '../../..');
const fn = (tag: string) => `def main(who="nobody", **kwargs):\n    return {"code": "${tag}", "who": who}\n`;

describe('openstack job|webhook --function-version|--function-alias (python-qinlingclient)', function () {
  this.timeout(600_000);
  let world: OscWorld;
  let qinlingUrl: string;
  let runtimeId = '';
  let fnId = '';
  const alias = `live-${process.pid}`;

  const osc = (user: OscUser, args: string[]) => world.osc(user, user === 'ADMIN' ? ['--qinling-url', qinlingUrl, ...args] : args, true);
  async function json(user: OscUser, args: string[]) {
    const r = await osc(user, [...args, '-f', 'json']);
    assert.equal(r.code, 0, `openstack ${args.join(' ')}: ${r.stderr}`);
    return JSON.parse(r.stdout);
  }
  async function refused(args: string[], message: RegExp): Promise<void> {
    const r = await osc('DEMO', args);
    assert.equal(r.code, 1, `openstack ${args.join(' ')}: exit ${r.code}, stdout ${r.stdout}`);
    assert.match(r.stderr, message);
    assert.doesNotMatch(r.stderr, /Traceback|KeyError/);
  }
  const file = (tag: string) => {
    const f = path.join(world.scratch, `code-${tag}.py`);
    fs.writeFileSync(f, fn(tag));
    return f;
  };
  /** The function's successful executions for `who`: [code, function_version] each. */
  const ranFor = async (who: string) => (await json('DEMO', ['function', 'execution', 'list', '--filter', `function_id=${fnId}`]))
    .filter((e: { Status: string; Result: { output?: string } }) => e.Status === 'success' && (e.Result.output ?? '').includes(`"${who}"`))
    .map((e: { Result: { output: string }; Function_version: number }) => [JSON.parse(e.Result.output).code, e.Function_version]);
  const utc = (d: Date) => d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, '');

  before(async function () {
    this.timeout(900_000);
    const out = execFileSync('bash', [path.join(ROOT, 'runtimes/build.sh'), 'python3'], { encoding: 'utf8' });
    const image = /(fresco\/runtime-python3:[0-9a-f]{12})/.exec(out)![1];
    world = await OscWorld.start('qinling-versions');
    qinlingUrl = `${world.url}/qinling`;
    const services = JSON.parse(await world.ok('ADMIN', ['service', 'list', '--long', '-f', 'json'])) as Array<{ Type: string }>;
    if (!services.some((s) => s.Type === 'function-engine')) await world.ok('ADMIN', ['service', 'create', '--name', 'qinling', 'function-engine']);
    for (const iface of ['public', 'internal']) {
      await world.ok('ADMIN', ['endpoint', 'create', '--region', world.region, 'function-engine', iface, qinlingUrl]);
    }
    runtimeId = (await json('ADMIN', ['runtime', 'create', image, '--name', `py-qv-${process.pid}`])).id;
    fnId = (await json('DEMO', ['function', 'create', '--runtime', runtimeId, '--name', `qv-${process.pid}`, '--entry', 'code-one.main',
      '--file', file('one'), '--timeout', '20'])).id;
    assert.equal((await json('DEMO', ['function', 'version', 'create', fnId])).version_number, 1);
    await json('DEMO', ['function', 'update', fnId, '--file', file('now'), '--entry', 'code-now.main']);
    await json('DEMO', ['function', 'alias', 'create', alias, '--function', fnId, '--function-version', '1']);
  });
  after(async () => {
    if (!world) return;
    for (const kind of ['job', 'webhook']) {
      for (const o of JSON.parse((await osc('DEMO', [kind, 'list', '-f', 'json'])).stdout || '[]')) await osc('DEMO', [kind, 'delete', o.Id]);
    }
    await osc('DEMO', ['function', 'alias', 'delete', alias]);
    if (fnId) await osc('DEMO', ['function', 'delete', fnId]);
    if (runtimeId) await osc('ADMIN', ['runtime', 'delete', runtimeId]);
    await world.stop();
  });

  it('runs a webhook\'s function version, and one through an alias; shows them back', async () => {
    const byVersion = await json('DEMO', ['webhook', 'create', '--function', fnId, '--function-version', '1']);
    assert.deepEqual([byVersion.function_id, byVersion.function_version, byVersion.function_alias], [fnId, 1, null]);
    const byAlias = await json('DEMO', ['webhook', 'create', '--function-alias', alias]);
    assert.deepEqual([byAlias.function_id, byAlias.function_version, byAlias.function_alias], [fnId, null, alias]);
    for (const [hook, who] of [[byVersion, 'hook-version'], [byAlias, 'hook-alias']] as const) {
      const res = await fetch(hook.webhook_url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ who }) });
      assert.equal(res.status, 202);
      assert.deepEqual(await waitFor(`the ${who} execution`, async () => (await ranFor(who))[0], 90_000, 1000), ['one', 1]);
    }
    const shown = await json('DEMO', ['webhook', 'show', byAlias.id]);
    assert.equal(shown.function_alias, alias);
    await refused(['webhook', 'create', '--function', fnId, '--function-version', '9'], /Version 9 of function .* not found \(HTTP 404\)/);
  });

  it('runs a job\'s function version, and the version its alias names when it fires (the alias moved meanwhile)', async () => {
    const now = utc(new Date(Date.now() - 1000));
    const byVersion = await json('DEMO', ['job', 'create', '--function', fnId, '--function-version', '1', '--first-execution-time', now,
      '--function-input', '{"who": "job-version"}']);
    assert.deepEqual([byVersion.function_version, byVersion.function_alias], [1, null]);
    assert.deepEqual(await waitFor('the version job\'s execution', async () => (await ranFor('job-version'))[0], 90_000, 1000), ['one', 1]);

    // Due in an hour; the alias moves to 0 (the function as it is now); then it is made due.
    const later = utc(new Date(Date.now() + 3600_000));
    const byAlias = await json('DEMO', ['job', 'create', '--function-alias', alias, '--first-execution-time', later,
      '--function-input', '{"who": "job-alias"}']);
    assert.deepEqual([byAlias.function_id, byAlias.function_version, byAlias.function_alias], [fnId, null, alias]);
    // What the job runs stays (the client words a refused alias delete its own way).
    await refused(['function', 'alias', 'delete', alias], /Unable to delete/);
    assert.equal((await json('DEMO', ['function', 'alias', 'show', alias])).function_version, 1);
    await refused(['function', 'version', 'delete', fnId, '1'], /HTTP 409/);
    await json('DEMO', ['function', 'alias', 'update', alias, '--function-version', '0']);
    await json('DEMO', ['job', 'update', byAlias.id, '--next-execution-time', utc(new Date(Date.now() - 1000))]);
    assert.deepEqual(await waitFor('the alias job\'s execution', async () => (await ranFor('job-alias'))[0], 90_000, 1000), ['now', 0],
      'the job ran what the alias named when it fired');
  });
});
