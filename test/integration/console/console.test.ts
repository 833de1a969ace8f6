import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import axios from 'axios';
import type { Page } from 'playwright-core';
import { start, Started } from '../../../src/main';
import { testConfig } from '../../helpers/api';
import { createTestDb, TestDb } from '../../helpers/db';
import { buildImages } from '../executor/fixtures';
import { issueToken, keystone, OsEnv } from '../auth/keystone-env';
import { Browser, buildConsole } from './browser';

// The web console end to end: Debian's Chromium against a real Fresco (`fresco all`, Keystone auth,
// real PostgreSQL and Docker) and the real Keystone of test/services/openstack. demo (member) signs
// in with a password, creates an app and routes, runs them, reads calls, logs and errors, makes
// triggers; viewer (reader of demo) signs in with a token and finds no way to write; nothing of
// project `other` ever shows. Screenshots of every screen go to test-output/console/.

const ROOT = path.resolve(__dirname, '../../..');

describe('web console in Chromium (real Fresco, Keystone, Docker)', function () {
  this.timeout(120_000);
  let env: OsEnv;
  let t: TestDb;
  let fresco: Started;
  let base: string;
  let stateDir: string;
  let browser: Browser;
  let page: Page;
  const engineId = `test-console-${randomUUID().slice(0, 8)}`;
  const appName = `shop-${randomUUID().slice(0, 6)}`;
  const altApp = `alt-secret-${randomUUID().slice(0, 6)}`;
  let helloCall: string;
  // The HTTP errors this test provokes on purpose, by status: the browser reports each in its console.
  const provoked = new Set<number>();

  const url = (hash = '') => `${base}/console/${hash}`;
  const heading = () => page.getByRole('heading', { level: 1 });
  /** The page's text never names project other's app. */
  const noAltThings = async () => assert.ok(!(await page.content()).includes(altApp), `${altApp} shown in ${page.url()}`);
  /** Checks the screen (nothing of other's, no sideways overflow, no WCAG A/AA violation) and writes its screenshot. */
  const shot = async (name: string) => {
    await noAltThings();
    await Browser.shot(page, name);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `${name}: ${overflow}px wider than the window`);
    assert.deepEqual(await Browser.accessibilityViolations(page), [], `${name}: accessibility`);
  };

  async function signIn(fields: Record<string, string>, method: 'password' | 'token' = 'password') {
    await page.goto(url());
    await heading().filter({ hasText: 'Fresco console' }).waitFor();
    if (method === 'token') await page.getByLabel('a token I have').check();
    for (const [label, value] of Object.entries(fields)) await page.getByLabel(label, { exact: true }).fill(value);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await heading().filter({ hasText: 'Apps' }).waitFor();
  }

  async function signOut() {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
  }

  before(async function () {
    this.timeout(600_000);
    env = await keystone();
    buildImages();
    execFileSync('bash', [path.join(ROOT, 'examples/build.sh')], { stdio: ['ignore', 'ignore', 'inherit'] });
    buildConsole();
    t = await createTestDb();
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fresco-console-'));
    fresco = await start(testConfig({
      FRESCO_DATABASE_CONNECTION: t.url, FRESCO_BIND_PORT: '0', FRESCO_STATE_PATH: stateDir, FRESCO_ENGINE_ENGINE_ID: engineId,
      FRESCO_KEYSTONE_AUTH_URL: env.OS_AUTH_URL, FRESCO_KEYSTONE_USERNAME: env.OS_SERVICE_USERNAME,
      FRESCO_KEYSTONE_PASSWORD: env.OS_SERVICE_PASSWORD, FRESCO_KEYSTONE_PROJECT_NAME: env.OS_SERVICE_PROJECT_NAME,
    }), 'all');
    base = `http://127.0.0.1:${fresco.address!.port}`;
    // Project other's app, route and call: the console of demo must never show them.
    const alt = { headers: { 'X-Auth-Token': await issueToken(env, 'ALT') }, validateStatus: () => true };
    const altProject = env.OS_ALT_PROJECT_ID;
    assert.equal((await axios.post(`${base}/v1/${altProject}/apps`, { app: { name: altApp } }, alt)).status, 200);
    assert.equal((await axios.post(`${base}/v1/${altProject}/apps/${altApp}/routes`,
      { route: { path: '/hidden', image: 'fresco-test/hello:1' } }, alt)).status, 200);
    assert.equal((await axios.post(`${base}/v1/r/${altProject}/${altApp}/hidden`, 'x', alt)).status, 200);
    browser = await Browser.launch();
    page = await browser.page();
    page.setDefaultTimeout(20_000);
  });

  after(async () => {
    await browser?.close();
    await fresco?.stop();
    await t?.drop();
    if (stateDir) fs.rmSync(stateDir, { recursive: true, force: true });
  });

  it('forwards only a Keystone v3 auth body to Keystone, and Keystone\'s answer as it is', async () => {
    const version = await axios.get(`${base}/`);
    assert.deepEqual(version.data.auth, { strategy: 'keystone', www_authenticate_uri: env.OS_AUTH_URL });
    const login = (auth: unknown) => axios.post(`${base}/console/keystone/auth/tokens`, { auth }, { validateStatus: () => true });
    const odd = await login({ identity: { methods: ['totp'] } });
    assert.equal(odd.status, 400);
    assert.match(odd.data.error.message, /^auth\.identity\.methods: only password, token, application_credential/);
    const user = { name: env.OS_DEMO_USERNAME, domain: { name: 'Default' } };
    const wrong = await login({ identity: { methods: ['password'], password: { user: { ...user, password: 'not-it' } } } });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.headers['x-subject-token'], undefined);
    const right = await login({ identity: { methods: ['password'], password: { user: { ...user, password: env.OS_DEMO_PASSWORD } } },
      scope: { project: { name: env.OS_DEMO_PROJECT_NAME, domain: { name: 'Default' } } } });
    assert.equal(right.status, 201);
    assert.equal(right.headers['cache-control'], 'no-store');
    assert.equal(right.data.token.project.id, env.OS_DEMO_PROJECT_ID);
    const apps = await axios.get(`${base}/v1/${env.OS_DEMO_PROJECT_ID}/apps`, { headers: { 'X-Auth-Token': right.headers['x-subject-token'] } });
    assert.equal(apps.status, 200, 'the forwarded login\'s token works on the API');
  });

  it('asks for a Keystone login at /console and signs demo in with a password', async () => {
    const res = await axios.get(`${base}/console`, { maxRedirects: 0, validateStatus: () => true });
    assert.equal(res.status, 302);
    assert.equal(res.headers.location, '/console/');
    await page.goto(url());
    await page.getByLabel('User', { exact: true }).waitFor();
    assert.match(await page.locator('main').innerText(), /Keystone at http:\/\/127\.0\.0\.1:5000/);
    await shot('login');
    await signIn({ User: env.OS_DEMO_USERNAME, Password: env.OS_DEMO_PASSWORD, Project: env.OS_DEMO_PROJECT_NAME, Domain: 'Default' });
    const who = await page.locator('header .who').innerText();
    assert.match(who, /demo/);
    assert.match(who, /member/);
    assert.equal(await page.getByText('read-only').count(), 0);
    assert.ok(await page.evaluate(() => sessionStorage.getItem('fresco.console.session')?.includes('"token"')));
    assert.equal(await page.evaluate(() => localStorage.length), 0, 'nothing is kept beyond the tab');
  });

  it('creates an app, then a route; the API\'s validation message shows beside the field', async () => {
    const create = page.getByRole('form', { name: 'Create an app' });
    await create.getByLabel('Name').fill('bad name!');
    await create.getByRole('button', { name: 'Create app' }).click();
    provoked.add(400);
    const nameField = create.locator('.field', { has: page.getByLabel('Name') });
    await nameField.locator('.field-error').waitFor();
    assert.match(await nameField.locator('.field-error').innerText(), /./);
    await create.getByLabel('Name').fill(appName);
    await create.getByLabel('Description').fill('made in the console');
    await create.getByRole('button', { name: 'Create app' }).click();
    await heading().filter({ hasText: `App ${appName}` }).waitFor();

    const form = page.getByRole('form', { name: 'Create a route' });
    await form.getByLabel('Path').fill('/hello');
    await form.getByLabel('Image').fill('fresco/hello:latest');
    await form.getByLabel('Memory (MiB)').fill('999999');
    await form.getByRole('button', { name: 'Create route' }).click();
    const memory = form.locator('.field', { has: page.getByLabel('Memory (MiB)') });
    await memory.locator('.field-error').waitFor();
    assert.match(await memory.locator('.field-error').innerText(), /must be at most \d+/);
    assert.equal(await form.getByLabel('Memory (MiB)').getAttribute('aria-invalid'), 'true');
    await shot('route-validation');
    await form.getByLabel('Memory (MiB)').fill('64');
    await form.getByRole('button', { name: 'Create route' }).click();
    await heading().filter({ hasText: 'Route /hello' }).waitFor();
    assert.match(await page.locator('dl.facts').innerText(), /64 MiB/);
  });

  it('runs the route with a body, shows the answer, and the call with its status, kind, exit code and log', async () => {
    const run = page.getByRole('form', { name: 'Run it' });
    await run.getByLabel('Request body').fill('Console');
    await run.getByRole('button', { name: 'Run' }).click();
    const answer = run.getByRole('status', { name: 'Answer' });
    await answer.waitFor();
    assert.match(await answer.innerText(), /HTTP 200/);
    assert.equal((await answer.getByLabel('Result').innerText()).trim(), 'Hello Console');
    await page.getByRole('button', { name: 'Refresh' }).click();
    await page.getByText('Latency: 1 finished calls').waitFor();
    await page.getByRole('img', { name: /^Latency histogram: 1 finished calls/ }).locator('canvas').waitFor();
    await page.getByRole('img', { name: 'Calls per minute: success 1' }).locator('canvas').waitFor();
    await shot('route');
    await answer.getByRole('link', { name: /^Call / }).click();
    await heading().filter({ hasText: /^Call / }).waitFor();
    helloCall = (await heading().innerText()).replace('Call ', '');
    const facts = await page.locator('dl.facts').innerText();
    assert.match(facts, /Status\s+success/);
    assert.match(facts, /Kind\s+cold/);
    assert.match(facts, /Exit code\s+0/);
    assert.match(facts, /Duration\s+\d+ ms/);
    assert.equal((await page.getByLabel('Call log').innerText()).trim(), `hello: call ${helloCall} of app ${appName}`);
    await shot('call');
  });

  it('shows a failed call\'s error, in the run\'s answer and on the call', async () => {
    await page.goto(url(`#/apps/${appName}`));
    const form = page.getByRole('form', { name: 'Create a route' });
    await form.getByLabel('Path').fill('/fail');
    await form.getByLabel('Image').fill('fresco-test/fail:1');
    await form.getByRole('button', { name: 'Create route' }).click();
    await heading().filter({ hasText: 'Route /fail' }).waitFor();
    const run = page.getByRole('form', { name: 'Run it' });
    await run.getByRole('button', { name: 'Run' }).click();
    provoked.add(502);
    const answer = run.getByRole('status', { name: 'Answer' });
    await answer.waitFor();
    assert.match(await answer.innerText(), /HTTP 502/);
    assert.match(await answer.innerText(), /FRESCO_CALL_FAILED/);
    await answer.getByRole('link', { name: /^Call / }).click();
    await page.getByRole('heading', { name: 'Error' }).waitFor();
    const facts = await page.locator('dl.facts').innerText();
    assert.match(facts, /Status\s+error/);
    assert.match(facts, /Exit code\s+3/);
    assert.match(await page.getByLabel('Call log').innerText(), /about to fail/);
    await shot('call-failed');
  });

  it('lists calls newest first, filters them by app, route and status, and pages through them', async () => {
    await page.goto(url(`#/calls?app=${appName}`));
    const rows = page.locator('table tbody tr');
    await rows.first().waitFor();
    assert.equal(await rows.count(), 2);
    assert.match(await rows.nth(0).innerText(), /\/fail\s+error/, 'the failed call ran last: first');
    assert.match(await rows.nth(1).innerText(), /\/hello\s+success/);
    await shot('calls');
    const filters = page.getByRole('search', { name: 'Filter calls' });
    await filters.getByLabel('Status').selectOption('success');
    await filters.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/status=success/);
    await page.locator('table caption').waitFor();
    await page.waitForFunction(() => document.querySelectorAll('table tbody tr').length === 1);
    assert.match(await rows.nth(0).innerText(), /\/hello\s+success/);
    await filters.getByLabel('Status').selectOption('');
    await filters.getByLabel('Route').fill('/fail');
    await filters.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/route=%2Ffail/);
    await page.waitForFunction(() => document.querySelectorAll('table tbody tr').length === 1);
    assert.match(await rows.nth(0).innerText(), /\/fail\s+error/);
    // A page of one: the older call is on page 2, and back again.
    await page.goto(url(`#/calls?app=${appName}&limit=1`));
    await page.getByText('Page 1, newest first').waitFor();
    assert.match(await rows.nth(0).innerText(), /\/fail/);
    await page.getByRole('link', { name: 'Older →' }).click();
    await page.getByText('Page 2, newest first').waitFor();
    assert.match(await rows.nth(0).innerText(), /\/hello/);
    await page.getByRole('link', { name: '← Newer' }).click();
    await page.getByText('Page 1, newest first').waitFor();
    assert.match(await rows.nth(0).innerText(), /\/fail/);
  });

  it('creates a schedule and an alarm trigger, shows the alarm\'s callback URL, deletes one', async () => {
    await page.goto(url('#/triggers'));
    const form = page.getByRole('form', { name: 'Create a trigger' });
    const make = async (name: string, type: string, schedule?: string) => {
      await form.getByLabel('Name').fill(name);
      await form.getByLabel('Trigger type').selectOption(type);
      await form.getByLabel('App').selectOption(appName);
      await form.getByLabel('Route').locator('option', { hasText: '/hello' }).waitFor({ state: 'attached' });
      await form.getByLabel('Route').selectOption('/hello');
      if (schedule) await form.getByLabel('Schedule').fill(schedule);
      await form.getByRole('button', { name: 'Create trigger' }).click();
      await page.getByRole('rowheader', { name }).waitFor();
    };
    await make('nightly', 'schedule', '0 3 * * *');
    await make('on-alarm', 'alarm');
    const alarmRow = page.getByRole('row', { name: /on-alarm/ });
    assert.match(await alarmRow.locator('code.url').innerText(), new RegExp(`^${base}/alarms/[^/]+/.+`));
    await shot('triggers');
    await page.getByRole('button', { name: 'Delete trigger nightly' }).click();
    await page.getByRole('rowheader', { name: 'nightly' }).waitFor({ state: 'detached' });
    assert.equal(await page.getByRole('rowheader', { name: 'on-alarm' }).count(), 1);
  });

  it('follows an async call live from queued or running to its end, with a cancel button while it runs', async () => {
    await page.goto(url(`#/apps/${appName}`));
    const form = page.getByRole('form', { name: 'Create a route' });
    await form.getByLabel('Path').fill('/nap');
    await form.getByLabel('Image').fill('fresco-test/nap:1');
    await form.getByLabel('Type').selectOption('async');
    await form.getByLabel('Config').fill('NAP_SECONDS=3');
    await form.getByRole('button', { name: 'Create route' }).click();
    await heading().filter({ hasText: 'Route /nap' }).waitFor();
    const run = page.getByRole('form', { name: 'Run it' });
    await run.getByLabel('Request body').fill('later');
    await run.getByRole('button', { name: 'Run' }).click();
    const answer = run.getByRole('status', { name: 'Answer' });
    await answer.waitFor();
    assert.match(await answer.innerText(), /HTTP 202/);
    await answer.getByRole('link', { name: /^Call / }).click();
    await page.getByText(/^This call is (queued|running); the page follows it\.$/).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Cancel this call' }).count(), 1);
    await shot('call-live');
    // No reload: the page reads the call again until it ends.
    await page.locator('dl.facts').getByText('success').waitFor({ timeout: 60_000 });
    assert.match(await page.locator('pre.output').first().innerText(), /^napped \S+ later/);
    assert.equal(await page.getByRole('button', { name: 'Cancel this call' }).count(), 0);
  });

  it('shows a running call\'s progress and its log as the function writes it', async () => {
    await page.goto(url(`#/apps/${appName}`));
    const form = page.getByRole('form', { name: 'Create a route' });
    await form.getByLabel('Path').fill('/tick');
    await form.getByLabel('Image').fill('fresco-test/ticker:1');
    await form.getByLabel('Type').selectOption('async');
    await form.getByLabel('Config').fill('TICKS=20');
    await form.getByRole('button', { name: 'Create route' }).click();
    await heading().filter({ hasText: 'Route /tick' }).waitFor();
    const run = page.getByRole('form', { name: 'Run it' });
    await run.getByRole('button', { name: 'Run' }).click();
    await run.getByRole('status', { name: 'Answer' }).getByRole('link', { name: /^Call / }).click();
    await heading().filter({ hasText: /^Call / }).waitFor();
    // The first line shows while the call still runs (6 s of ticks), with the progress.
    await page.getByLabel('Call log').filter({ hasText: 'tick 1' }).waitFor({ timeout: 60_000 });
    assert.match(await page.locator('dl.facts').innerText(), /Status\s+running/);
    await page.getByLabel('Progress').waitFor();
    await shot('call-running');
    await page.locator('dl.facts').getByText('success').waitFor({ timeout: 60_000 });
    assert.match(await page.locator('dl.facts').innerText(), /Progress\s+100% tick 20/);
    assert.match(await page.getByLabel('Call log').innerText(), /tick 20/);
  });

  it('changes a route and the app, and deletes a route', async () => {
    await page.goto(url(`#/apps/${appName}/routes/%2Fnap`));
    const form = page.getByRole('form', { name: 'Change this route' });
    await form.getByLabel('Timeout (s)', { exact: true }).fill('5');
    await form.getByRole('button', { name: 'Save route' }).click();
    await page.locator('dl.facts').getByText('5 s (idle 30 s)').waitFor();
    await page.getByRole('button', { name: 'Delete route /nap' }).click();
    await heading().filter({ hasText: `App ${appName}` }).waitFor();
    await page.getByRole('rowheader', { name: '/hello' }).waitFor();
    assert.equal(await page.getByRole('rowheader', { name: '/nap' }).count(), 0);
    const edit = page.getByRole('form', { name: 'Change this app' });
    await edit.getByLabel('Description').fill('changed in the console');
    await edit.getByLabel('Config').fill('GREETING=hi');
    await edit.getByRole('button', { name: 'Save app' }).click();
    await page.locator('dl.facts').getByText('changed in the console').waitFor();
    assert.match(await page.locator('dl.facts').innerText(), /GREETING=hi/);
  });

  it('moves by keyboard: through the navigation to a screen whose heading takes the focus, and the skip link', async () => {
    await page.goto(url('#/apps'));
    await heading().filter({ hasText: 'Apps' }).waitFor();
    const focused = () => page.evaluate(() => document.activeElement?.textContent ?? '');
    await page.locator('header .brand').click(); // where sequential keyboard navigation starts
    await page.keyboard.press('Tab');
    assert.equal(await focused(), 'Apps');
    await page.keyboard.press('Tab');
    assert.equal(await focused(), 'Calls');
    await page.keyboard.press('Enter');
    await heading().filter({ hasText: 'Calls' }).waitFor();
    await page.waitForFunction(() => document.activeElement?.tagName === 'H1');
    await page.locator('header .brand').click();
    await page.keyboard.press('Shift+Tab');
    assert.equal(await focused(), 'Skip to content');
    await page.keyboard.press('Enter');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'main');
    assert.match(page.url(), /#\/calls$/, 'the skip link does not change the screen');
  });

  it('fits a phone\'s width on every screen', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    try {
      for (const [hash, name] of [['#/apps', 'phone-apps'], [`#/apps/${appName}/routes/%2Fhello`, 'phone-route'],
        [`#/calls?app=${appName}`, 'phone-calls'], [`#/calls/${helloCall}`, 'phone-call'], ['#/triggers', 'phone-triggers']]) {
        await page.goto(url(hash));
        await heading().waitFor();
        await page.waitForLoadState('networkidle');
        await shot(name);
      }
    } finally {
      await page.setViewportSize({ width: 1280, height: 800 });
    }
  });

  it('gives the reader (signed in with a token) read-only screens, and the API refuses a write anyway', async () => {
    await signOut();
    const token = await issueToken(env, 'READER');
    await signIn({ Token: token, Project: env.OS_READER_PROJECT_NAME, Domain: 'Default' }, 'token');
    assert.match(await page.locator('header .who').innerText(), /viewer.*reader/s);
    await page.getByText('read-only').waitFor();
    const screens = ['#/apps', `#/apps/${appName}`, `#/apps/${appName}/routes/%2Fhello`, `#/calls?app=${appName}`,
      `#/calls/${helloCall}`, '#/triggers'];
    for (const hash of screens) {
      await page.goto(url(hash));
      await heading().waitFor();
      await page.waitForLoadState('networkidle');
      const buttons = (await page.locator('main button').allInnerTexts()).filter((b) => !['Filter', 'Refresh'].includes(b));
      assert.deepEqual(buttons, [], `${hash} offers the reader: ${buttons.join(', ')}`);
      assert.equal(await page.locator('main form').filter({ hasNot: page.getByRole('button', { name: 'Filter' }) }).count(), 0, `${hash} has a form`);
      await noAltThings();
    }
    assert.match(await page.getByRole('row', { name: /on-alarm/ }).innerText(), /on-alarm/);
    assert.equal(await page.locator('code.url').count(), 0, 'the reader is not shown the alarm callback URL');
    await shot('reader-triggers');
    await page.goto(url(`#/apps/${appName}`));
    await heading().waitFor();
    await shot('reader-app');
    const refused = await page.evaluate(async ([p, tok]) => {
      const r = await fetch(`/v1/${p}/apps`, { method: 'POST', headers: { 'X-Auth-Token': tok, 'Content-Type': 'application/json' },
        body: JSON.stringify({ app: { name: 'by-reader' } }) });
      return { status: r.status, code: (await r.json()).error.code };
    }, [env.OS_DEMO_PROJECT_ID, JSON.parse((await page.evaluate(() => sessionStorage.getItem('fresco.console.session')))!).token]);
    provoked.add(403);
    assert.deepEqual(refused, { status: 403, code: 'FRESCO_POLICY_FORBIDDEN' });
  });

  it('shows project other only its own things', async () => {
    await signOut();
    await signIn({ User: env.OS_ALT_USERNAME, Password: env.OS_ALT_PASSWORD, Project: env.OS_ALT_PROJECT_NAME, Domain: 'Default' });
    await page.getByRole('link', { name: altApp }).waitFor();
    assert.ok(!(await page.content()).includes(appName));
    await page.goto(url('#/calls'));
    await page.locator('table tbody tr').first().waitFor();
    const calls = await page.locator('table tbody').innerText();
    assert.ok(calls.includes(altApp) && !calls.includes(appName), calls);
  });

  it('raised no error in the page but those the test provoked on purpose', () => {
    const { consoleErrors, pageErrors, httpErrors } = browser.trouble;
    assert.deepEqual(pageErrors, []);
    const unexpectedHttp = httpErrors.filter((e) => !provoked.has(e.status));
    assert.deepEqual(unexpectedHttp, []);
    const unexpectedConsole = consoleErrors.filter((m) => {
      const status = /the server responded with a status of (\d+)/.exec(m)?.[1];
      return !(status && provoked.has(Number(status)));
    });
    assert.deepEqual(unexpectedConsole, []);
  });
});
