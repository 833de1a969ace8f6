import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { buildZip } from '../../helpers/zip-builder';
import { waitFor } from '../../helpers/wait';
import { OscUser, OscWorld } from '../osc/osc-world';

// Debian's python3-qinlingclient (`openstack function|runtime ...`, test/setup.d/50-osc.sh) against
// Fresco's Qinling-compatible API (docs/qinling.md), found through the real Keystone catalog (type
// function-engine, this world's region), with real PostgreSQL and Docker running the Python runtime.

const ROOT = path.resolve(__dirname, '../../..');
type User = OscUser | 'READER';

// A Qinling function: keyword arguments from the input object, its print is the execution's log.
const HELLO_PY = [
  'def main(name="world", **kwargs):',
  '    print("greeting " + name)',
  '    return {"greeting": "Hello " + name}',
  '',
].join('\n');
// A package with a module beside the entry.
const ZIP = buildZip([
  { name: 'main.py', data: Buffer.from('from util import shout\n\ndef main(word="hi", **kwargs):\n    return shout(word)\n') },
  { name: 'util.py', data: Buffer.from('def shout(w):\n    return w.upper() + "!"\n') },
]);

describe('openstack function (python-qinlingclient) against the Qinling-compatible API', function () {
  this.timeout(240_000);
  let world: OscWorld;
  let image: string;
  let qinlingUrl: string;
  const runtimeName = `py-qinling-${process.pid}`;
  const fnName = `hello-${process.pid}`;
  let runtimeId: string;
  let fileFn: string;
  let zipFn: string;
  let syncExec: string;
  let asyncExec: string;
  let webhookId: string;
  let jobId: string;

  // Through the catalog, except for the admin, whose region holds Keystone only (osc-world.ts).
  const osc = (user: User, args: string[]) => world.osc(user as OscUser,
    user === 'ADMIN' ? ['--qinling-url', qinlingUrl, ...args] : args, true);
  async function ok(user: User, args: string[]): Promise<string> {
    const r = await osc(user, args);
    assert.equal(r.code, 0, `openstack ${args.join(' ')} as ${user}: ${r.stderr}`);
    assert.doesNotMatch(r.stderr, /Traceback/);
    return r.stdout;
  }
  const json = async (user: User, args: string[]) => JSON.parse(await ok(user, [...args, '-f', 'json']));
  /** A clean refusal: exit 1, the faultstring on stderr, no traceback. */
  async function refused(user: User, args: string[], message: RegExp): Promise<void> {
    const r = await osc(user, args);
    assert.equal(r.code, 1, `openstack ${args.join(' ')} as ${user}: exit ${r.code}, stdout ${r.stdout}`);
    assert.match(r.stderr, message);
    assert.doesNotMatch(r.stderr, /Traceback|KeyError/);
  }

  before(async function () {
    this.timeout(900_000);
    const out = execFileSync('bash', [path.join(ROOT, 'runtimes/build.sh'), 'python3'], { encoding: 'utf8' });
    image = /(fresco\/runtime-python3:[0-9a-f]{12})/.exec(out)![1];
    world = await OscWorld.start('qinling');
    qinlingUrl = `${world.url}/qinling`;
    // Qinling's catalog entry, as devstack/lib/fresco registers it, in this world's region (removed by stop()).
    const services = JSON.parse(await world.ok('ADMIN', ['service', 'list', '--long', '-f', 'json'])) as Array<{ Type: string }>;
    if (!services.some((s) => s.Type === 'function-engine')) {
      await world.ok('ADMIN', ['service', 'create', '--name', 'qinling', 'function-engine']);
    }
    for (const iface of ['public', 'internal']) {
      await world.ok('ADMIN', ['endpoint', 'create', '--region', world.region, 'function-engine', iface, qinlingUrl]);
    }
  });
  after(async () => {
    if (!world) return;
    for (const id of [fileFn, zipFn]) if (id) await world.osc('DEMO', ['function', 'delete', id], true);
    if (runtimeId) await osc('ADMIN', ['runtime', 'delete', runtimeId]);
    await world.stop();
  });

  it('lets an admin create a runtime, refuses it to a member, and lists it to all', async () => {
    const created = await json('ADMIN', ['runtime', 'create', image, '--name', runtimeName]);
    assert.equal(created.name, runtimeName);
    assert.equal(created.image, image);
    assert.equal(created.status, 'available');
    runtimeId = created.id;
    await refused('DEMO', ['runtime', 'create', image, '--name', 'mine'], /HTTP 403/);
    const listed = await json('DEMO', ['runtime', 'list']);
    assert.ok(listed.some((r: { Id: string; Name: string }) => r.Id === runtimeId && r.Name === runtimeName), JSON.stringify(listed));
    const shown = await json('DEMO', ['runtime', 'show', runtimeId]);
    assert.equal(shown.image, image);
    await refused('DEMO', ['runtime', 'show', '00000000-0000-0000-0000-000000000000'], /not found \(HTTP 404\)/);
  });

  it('creates a function from a file (the runtime named) and shows it by name', async () => {
    const file = path.join(world.scratch, 'hello.py');
    fs.writeFileSync(file, HELLO_PY);
    const created = await json('DEMO', ['function', 'create', '--runtime', runtimeName, '--name', fnName,
      '--entry', 'hello.main', '--file', file, '--memory-size', String(64 * 1024 * 1024), '--timeout', '20']);
    fileFn = created.id;
    assert.match(fileFn, /^[0-9a-f-]{36}$/);
    assert.equal(created.runtime_id, runtimeId);
    assert.equal(created.entry, 'hello.main');
    assert.equal(created.memory_size, 64 * 1024 * 1024);
    assert.equal(created.timeout, 20);
    assert.equal(created.project_id, world.ks.OS_DEMO_PROJECT_ID);
    const shown = await json('DEMO', ['function', 'show', fnName]);
    assert.equal(shown.id, fileFn);
    const listed = await json('DEMO', ['function', 'list', '--filter', `name=${fnName}`]);
    assert.deepEqual(listed.map((f: { Id: string }) => f.Id), [fileFn]);
  });

  it('runs it synchronously with input, keeps the call and its log', async () => {
    const exec = await json('DEMO', ['function', 'execution', 'create', '--function', fileFn, '--input', '{"name": "Ann"}']);
    syncExec = exec.id;
    assert.equal(exec.status, 'success', JSON.stringify(exec));
    assert.equal(exec.function_id, fileFn);
    const result = typeof exec.result === 'string' ? JSON.parse(exec.result) : exec.result;
    assert.deepEqual(JSON.parse(result.output), { greeting: 'Hello Ann' });
    const log = await ok('DEMO', ['function', 'execution', 'log', 'show', syncExec]);
    assert.match(log, /greeting Ann/);
    // The same call through Fresco's own API.
    const token = (await ok('DEMO', ['token', 'issue', '-f', 'value', '-c', 'id'])).trim();
    const res = await fetch(`${world.url}/v1/${world.ks.OS_DEMO_PROJECT_ID}/calls/${syncExec}`, { headers: { 'X-Auth-Token': token } });
    assert.equal(res.status, 200);
    const { call } = await res.json() as { call: { app: string; route: string; status: string } };
    assert.deepEqual([call.app, call.route, call.status], ['qinling', `/${fileFn}`, 'success']);
  });

  it('runs it asynchronously; the execution ends success and is listed by function', async () => {
    const exec = await json('DEMO', ['function', 'execution', 'create', '--function', fnName, '--input', '{"name": "Bob"}', '--async']);
    asyncExec = exec.id;
    assert.equal(exec.status, 'running');
    assert.equal(exec.sync, false);
    const done = await waitFor('the async execution to end', async () => {
      const e = await json('DEMO', ['function', 'execution', 'show', asyncExec]);
      return e.status === 'running' ? undefined : e;
    }, 60_000, 250);
    assert.equal(done.status, 'success', JSON.stringify(done));
    assert.match(await ok('DEMO', ['function', 'execution', 'log', 'show', asyncExec]), /greeting Bob/);
    const listed = await json('DEMO', ['function', 'execution', 'list', '--filter', `function_id=${fileFn}`]);
    assert.deepEqual(listed.map((e: { Id: string }) => e.Id).sort(), [syncExec, asyncExec].sort());
  });

  it('creates a function from a zip package, runs it and downloads the same bytes', async () => {
    const zip = path.join(world.scratch, 'shout.zip');
    fs.writeFileSync(zip, ZIP);
    const created = await json('DEMO', ['function', 'create', '--runtime', runtimeId, '--package', zip]);
    zipFn = created.id;
    assert.equal(created.entry, 'main.main');
    const exec = await json('DEMO', ['function', 'execution', 'create', '--function', zipFn, '--input', '{"word": "hey"}']);
    assert.equal(exec.status, 'success', JSON.stringify(exec));
    const result = typeof exec.result === 'string' ? JSON.parse(exec.result) : exec.result;
    assert.equal(JSON.parse(result.output), 'HEY!');
    const back = path.join(world.scratch, 'back.zip');
    await ok('DEMO', ['function', 'download', zipFn, '-o', back]);
    assert.deepEqual(fs.readFileSync(back), ZIP);
  });

  it('updates a function by form, its fields and its package', async () => {
    const updated = await json('DEMO', ['function', 'update', zipFn, '--name', `shout-${process.pid}`, '--timeout', '10']);
    assert.equal(updated.name, `shout-${process.pid}`);
    assert.equal(updated.timeout, 10);
    const shown = await json('DEMO', ['function', 'show', zipFn]);
    assert.equal(shown.timeout, 10);
    const zip = path.join(world.scratch, 'ask.zip');
    fs.writeFileSync(zip, buildZip([{ name: 'main.py', data: Buffer.from('def main(word="hi", **kwargs):\n    return word + "?"\n') }]));
    await ok('DEMO', ['function', 'update', zipFn, '--package', zip]);
    const exec = await json('DEMO', ['function', 'execution', 'create', '--function', zipFn, '--input', '{"word": "new"}']);
    assert.equal(JSON.parse(exec.result.output), 'new?');
  });

  it('publishes function versions and runs them by number and through an alias that moves', async () => {
    const output = (exec: { result: unknown }) => {
      const result = (typeof exec.result === 'string' ? JSON.parse(exec.result) : exec.result) as { output: string };
      return JSON.parse(result.output);
    };
    const v1 = await json('DEMO', ['function', 'version', 'create', zipFn, '--description', 'asks']);
    assert.deepEqual([v1.version_number, v1.function_id, v1.description], [1, zipFn, 'asks']);
    const zip = path.join(world.scratch, 'bang.zip');
    fs.writeFileSync(zip, buildZip([{ name: 'main.py', data: Buffer.from('def main(word="hi", **kwargs):\n    return word + "!"\n') }]));
    await ok('DEMO', ['function', 'update', zipFn, '--package', zip]);
    const v2 = await json('DEMO', ['function', 'version', 'create', zipFn]);
    assert.equal(v2.version_number, 2);
    const listed = await json('DEMO', ['function', 'version', 'list', zipFn]);
    assert.deepEqual(listed.map((v: { Version_number: number }) => v.Version_number), [1, 2]);
    assert.equal((await json('DEMO', ['function', 'version', 'show', zipFn, '1'])).description, 'asks');
    const byNumber = await json('DEMO', ['function', 'execution', 'create', '--function', zipFn, '--function-version', '1', '--input', '{"word": "v1"}']);
    assert.equal(output(byNumber), 'v1?', 'version 1 keeps the code it was published with');
    assert.equal(byNumber.function_version, 1);
    assert.equal(output(await json('DEMO', ['function', 'execution', 'create', '--function', zipFn, '--input', '{"word": "now"}'])), 'now!');

    const alias = `live-${process.pid}`;
    const created = await json('DEMO', ['function', 'alias', 'create', alias, '--function', zipFn, '--function-version', '1']);
    assert.deepEqual([created.name, created.function_id, created.function_version], [alias, zipFn, 1]);
    let viaAlias = await json('DEMO', ['function', 'execution', 'create', '--function-alias', alias, '--input', '{"word": "a"}']);
    assert.deepEqual([output(viaAlias), viaAlias.function_alias, viaAlias.function_version], ['a?', alias, 1]);
    await refused('DEMO', ['function', 'version', 'delete', zipFn, '1'], /alias.*HTTP 409/);
    const moved = await json('DEMO', ['function', 'alias', 'update', alias, '--function-version', '2', '--description', 'bang']);
    assert.deepEqual([moved.function_version, moved.description], [2, 'bang']);
    viaAlias = await json('DEMO', ['function', 'execution', 'create', '--function-alias', alias, '--input', '{"word": "b"}']);
    assert.equal(output(viaAlias), 'b!', 'the alias moved: executions follow it');
    const shown = await json('DEMO', ['function', 'execution', 'show', viaAlias.id]);
    assert.equal(shown.function_version, 2);
    const aliases = await json('DEMO', ['function', 'alias', 'list']);
    assert.deepEqual(aliases.map((a: { Name: string }) => a.Name), [alias]);
    assert.equal((await json('DEMO', ['function', 'alias', 'show', alias])).function_version, 2);
    // Another project sees none of them.
    assert.deepEqual(await json('ALT', ['function', 'alias', 'list']), []);
    await refused('ALT', ['function', 'version', 'list', zipFn], /not found \(HTTP 404\)/);
    await refused('ALT', ['function', 'execution', 'create', '--function-alias', alias], /not found \(HTTP 404\)/);
    await refused('READER', ['function', 'version', 'create', zipFn], /HTTP 403/);

    await ok('DEMO', ['function', 'version', 'delete', zipFn, '1']);
    await refused('DEMO', ['function', 'version', 'show', zipFn, '1'], /not found \(HTTP 404\)/);
    await ok('DEMO', ['function', 'alias', 'delete', alias]);
    assert.deepEqual(await json('DEMO', ['function', 'alias', 'list']), []);
    // The function's code as the later tests expect it ("?").
    await ok('DEMO', ['function', 'update', zipFn, '--package', path.join(world.scratch, 'ask.zip')]);
  });

  it('detaches a function from its container: the next execution starts a fresh one', async () => {
    // The function's containers: its workers (a waiting runtime container it was given carries no
    // label of the function, docs/runtimes.md), running in Docker.
    const containers = async () => {
      const names = ((await json('DEMO', ['function', 'worker', 'list', zipFn])) as { Worker_name: string }[]).map((w) => w.Worker_name);
      return new Set(execFileSync('docker', ['ps', '-q', '--no-trunc', ...names.flatMap((n) => ['--filter', `name=^${n}$`])], { encoding: 'utf8' })
        .split('\n').filter((id) => id && names.length > 0));
    };
    const run = () => json('DEMO', ['function', 'execution', 'create', '--function', zipFn, '--input', '{"word": "a"}']);
    await run();
    const before = await containers();
    assert.ok(before.size > 0, 'the function runs in a kept container');
    await ok('DEMO', ['function', 'detach', zipFn]);
    await run();
    const after = await containers();
    assert.ok([...after].some((id) => !before.has(id)), `a fresh container: before ${[...before]}, after ${[...after]}`);
    // The client words a failed detach itself.
    await refused('READER', ['function', 'detach', zipFn], /Unable to detach the specified function/);
  });

  it('scales a function up and down: its workers are live containers, bounded by [engine] max_min_hot', async () => {
    type Worker = { Function_id: string; Worker_name: string };
    const workers = async () => (await json('DEMO', ['function', 'worker', 'list', zipFn])) as Worker[];
    const running = (names: string[]) => new Set(execFileSync('docker', ['ps', '--format', '{{.Names}}'], { encoding: 'utf8' })
      .split('\n').filter((n) => names.includes(n)));
    await ok('DEMO', ['function', 'scaleup', zipFn, '--count', '2']);
    const up = await waitFor('two workers', async () => {
      const w = await workers();
      return w.length === 2 ? w : undefined;
    }, 60_000, 250);
    assert.ok(up.every((w) => w.Function_id === zipFn), JSON.stringify(up));
    assert.equal(running(up.map((w) => w.Worker_name)).size, 2, `workers are running containers: ${JSON.stringify(up)}`);
    // The runtime's pool: its hot containers on this Fresco, the idle ones available.
    const pool = await json('DEMO', ['runtime', 'pool', 'show', runtimeId]);
    const capacity = typeof pool.capacity === 'string' ? JSON.parse(pool.capacity.replace(/'/g, '"')) : pool.capacity;
    assert.ok(capacity.total >= 2 && capacity.available <= capacity.total, JSON.stringify(pool));
    // Executions run on the kept workers.
    const exec = await json('DEMO', ['function', 'execution', 'create', '--function', zipFn, '--input', '{"word": "warm"}']);
    assert.equal(JSON.parse(exec.result.output), 'warm?');
    await ok('DEMO', ['function', 'scaledown', zipFn, '--count', '1']);
    const down = await waitFor('one worker', async () => {
      const w = await workers();
      return w.length === 1 ? w : undefined;
    }, 60_000, 250);
    assert.equal(running(down.map((w) => w.Worker_name)).size, 1);
    // Bounded: min_hot at most [engine] max_min_hot (8).
    // The client prints the faultstring on stdout and words the failure itself.
    const over = await osc('DEMO', ['function', 'scaleup', zipFn, '--count', '100']);
    assert.equal(over.code, 1);
    assert.match(over.stdout, /min_hot: must be at most 8 \(HTTP 400\)/);
    assert.match(over.stderr, /Unable to scale up the specified function/);
    const reader = await osc('READER', ['function', 'scaleup', zipFn]);
    assert.equal(reader.code, 1);
    assert.match(reader.stdout, /HTTP 403/);
    await refused('ALT', ['function', 'worker', 'list', zipFn], /not found \(HTTP 404\)/);
    await ok('DEMO', ['function', 'scaledown', zipFn, '--count', '5']);
    await waitFor('at most the one container a function from code keeps after a change', async () => (await workers()).length <= 1, 60_000, 250);
  });

  it('lists every project\'s functions and executions to an admin with all_projects, and refuses it to others', async () => {
    const all = await json('ADMIN', ['function', 'list', '--filter', 'all_projects=true']);
    assert.ok(all.some((f: { Id: string; Project_id: string }) => f.Id === fileFn && f.Project_id === world.ks.OS_DEMO_PROJECT_ID), JSON.stringify(all));
    const own = await json('ADMIN', ['function', 'list']);
    assert.ok(!own.some((f: { Id: string }) => f.Id === fileFn), 'without all_projects, the admin\'s own project only');
    const execs = await json('ADMIN', ['function', 'execution', 'list', '--filter', 'all_projects=true', '--filter', `function_id=${fileFn}`]);
    assert.ok(execs.some((e: { Id: string }) => e.Id === syncExec), JSON.stringify(execs));
    await refused('DEMO', ['function', 'list', '--filter', 'all_projects=true'], /HTTP 403/);
    await refused('ALT', ['function', 'execution', 'list', '--filter', 'all_projects=true'], /HTTP 403/);
  });

  it('keeps the demo project\'s functions and executions from the alt project', async () => {
    await refused('ALT', ['function', 'show', fileFn], /not found \(HTTP 404\)/);
    await refused('ALT', ['function', 'execution', 'create', '--function', fileFn], /not found \(HTTP 404\)/);
    await refused('ALT', ['function', 'execution', 'show', syncExec], /not found \(HTTP 404\)/);
    await refused('ALT', ['function', 'execution', 'log', 'show', syncExec], /not found/);
    await refused('ALT', ['function', 'download', fileFn], /not found/);
    // The client words a failed delete itself.
    await refused('ALT', ['function', 'delete', fileFn], /Unable to delete the specified function/);
    assert.deepEqual(await json('ALT', ['function', 'list']), []);
    const execs = await json('ALT', ['function', 'execution', 'list']);
    assert.ok(!execs.some((e: { Id: string }) => e.Id === syncExec));
    // Still there for demo.
    assert.equal((await json('DEMO', ['function', 'show', fileFn])).id, fileFn);
  });

  it('lets a reader list but not create or run', async () => {
    const listed = await json('READER', ['function', 'list']);
    assert.ok(listed.some((f: { Id: string }) => f.Id === fileFn));
    const file = path.join(world.scratch, 'hello.py');
    await refused('READER', ['function', 'create', '--runtime', runtimeId, '--file', file], /HTTP 403/);
    await refused('READER', ['function', 'execution', 'create', '--function', fileFn], /HTTP 403/);
  });

  it('creates a webhook that runs the function by plain HTTP without a token, its body the input', async () => {
    const hook = await json('DEMO', ['webhook', 'create', '--function', fileFn]);
    webhookId = hook.id;
    assert.equal(hook.function_id, fileFn);
    assert.ok(hook.webhook_url.startsWith(`${qinlingUrl}/v1/webhooks/${webhookId}/invoke/`), hook.webhook_url);
    const res = await fetch(hook.webhook_url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"name": "Hook"}' });
    assert.equal(res.status, 202);
    const { execution_id: execId } = await res.json() as { execution_id: string };
    const done = await waitFor('the webhook\'s execution to end', async () => {
      const e = await json('DEMO', ['function', 'execution', 'show', execId]);
      return e.status === 'running' ? undefined : e;
    }, 60_000, 250);
    assert.equal(done.status, 'success', JSON.stringify(done));
    const result = typeof done.result === 'string' ? JSON.parse(done.result) : done.result;
    assert.deepEqual(JSON.parse(result.output), { greeting: 'Hello Hook' });
    // The id alone (Qinling's URL) does not run it; nor does a wrong secret.
    const bare = await fetch(`${qinlingUrl}/v1/webhooks/${webhookId}/invoke`, { method: 'POST' });
    assert.equal(bare.status, 404);
    assert.match((await bare.json() as { faultstring: string }).faultstring, /No resource/);
    const wrong = await fetch(`${qinlingUrl}/v1/webhooks/${webhookId}/invoke/not-the-secret`, { method: 'POST' });
    assert.equal(wrong.status, 404);
    const listed = await json('DEMO', ['webhook', 'list']);
    assert.deepEqual(listed.map((w: { Id: string }) => w.Id), [webhookId]);
    assert.deepEqual(await json('ALT', ['webhook', 'list']), []);
    await refused('ALT', ['webhook', 'show', webhookId], /not found \(HTTP 404\)/);
    await refused('ALT', ['webhook', 'create', '--function', fileFn], /not found \(HTTP 404\)/);
    // A reader sees the webhook but not its secret URL, and cannot make one.
    const seen = await json('READER', ['webhook', 'show', webhookId]);
    assert.equal(seen.webhook_url, null);
    await refused('READER', ['webhook', 'create', '--function', fileFn], /HTTP 403/);
  });

  it('creates a job from a cron pattern whose executions appear', async () => {
    const job = await json('DEMO', ['job', 'create', '--function', fileFn, '--pattern', '* * * * *', '--name', 'every-minute']);
    jobId = job.id;
    assert.equal(job.name, 'every-minute');
    assert.equal(job.status, 'running');
    assert.equal(job.pattern, '* * * * *');
    const fired = await waitFor('the job\'s first execution', async () => {
      const execs = await json('DEMO', ['function', 'execution', 'list', '--filter', `function_id=${fileFn}`]);
      // The schedule's event carries no name: the function greets its default.
      return execs.find((e: { Status: string; Result: { output?: string } }) => e.Status === 'success'
        && (e.Result.output ?? '').includes('Hello world'));
    }, 150_000, 2000);
    assert.equal(fired.Function_id, fileFn);
    const paused = await json('DEMO', ['job', 'update', jobId, '--status', 'paused']);
    assert.equal(paused.status, 'paused');
    assert.deepEqual(await json('ALT', ['job', 'list']), []);
    await ok('DEMO', ['job', 'delete', jobId]);
  });

  it('runs a job with a count exactly that many times from its first_execution_time, then shows it done; a paused job runs nothing', async () => {
    const utc = (d: Date) => d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, '');
    // A job due in an hour: nothing runs yet, its next execution is its first.
    const later = utc(new Date(Date.now() + 3600_000));
    const held = await json('DEMO', ['job', 'create', '--function', fileFn, '--first-execution-time', later, '--function-input', '{"name": "Held"}']);
    assert.deepEqual([held.status, held.count, held.first_execution_time, held.next_execution_time, held.pattern],
      ['running', 1, later, later, null]);
    // Paused, then made due now: it must not run while paused.
    assert.equal((await json('DEMO', ['job', 'update', held.id, '--status', 'paused'])).status, 'paused');
    const now = utc(new Date(Date.now() - 1000));
    assert.equal((await json('DEMO', ['job', 'update', held.id, '--next-execution-time', now])).next_execution_time, now);
    // Twice: at once (its first_execution_time), then at the pattern's next minute.
    const twice = await json('DEMO', ['job', 'create', '--function', fileFn, '--pattern', '* * * * *', '--count', '2',
      '--first-execution-time', now, '--function-input', '{"name": "Twice"}', '--name', 'twice']);
    assert.deepEqual([twice.status, twice.count, twice.function_input], ['running', 2, '{"name": "Twice"}']);
    const outputs = async (who: string) => (await json('DEMO', ['function', 'execution', 'list', '--filter', `function_id=${fileFn}`]))
      .filter((e: { Status: string; Result: { output?: string } }) => e.Status === 'success' && (e.Result.output ?? '').includes(`Hello ${who}`));
    await waitFor('the job to run once at its first_execution_time', async () => (await outputs('Twice')).length === 1, 60_000, 500);
    const done = await waitFor('the job to be done', async () => {
      const j = await json('DEMO', ['job', 'show', twice.id]);
      return j.status === 'done' ? j : undefined;
    }, 90_000, 1000);
    assert.deepEqual([done.count, done.next_execution_time], [0, null]);
    await waitFor('its second execution to end', async () => (await outputs('Twice')).length === 2, 60_000, 500);
    assert.equal((await outputs('Held')).length, 0, 'the paused job ran nothing while it was due for a minute');
    await refused('DEMO', ['job', 'update', twice.id, '--status', 'running'], /the job is done/);
    // Resumed, the paused one runs its one execution and is done.
    await ok('DEMO', ['job', 'update', held.id, '--status', 'running']);
    await waitFor('the resumed job to run', async () => (await outputs('Held')).length === 1, 60_000, 500);
    await waitFor('the resumed job to be done', async () => (await json('DEMO', ['job', 'show', held.id])).status === 'done', 30_000, 500);
    for (const id of [held.id, twice.id]) await ok('DEMO', ['job', 'delete', id]);
  });

  it('deletes executions, functions and the runtime', async () => {
    await ok('DEMO', ['webhook', 'delete', webhookId]);
    assert.deepEqual(await json('DEMO', ['job', 'list']), []);
    assert.deepEqual(await json('DEMO', ['webhook', 'list']), []);
    await ok('DEMO', ['function', 'execution', 'delete', '--execution', syncExec]);
    for (const id of [fileFn, zipFn]) await ok('DEMO', ['function', 'delete', id]);
    await refused('DEMO', ['function', 'show', fileFn], /not found \(HTTP 404\)/);
    assert.deepEqual(await json('DEMO', ['function', 'list']), []);
    fileFn = '';
    zipFn = '';
    await ok('ADMIN', ['runtime', 'delete', runtimeId]);
    runtimeId = '';
    const listed = await json('DEMO', ['runtime', 'list']);
    assert.ok(!listed.some((r: { Name: string }) => r.Name === runtimeName));
  });
});
