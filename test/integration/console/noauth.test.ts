import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import axios from 'axios';
import type { Page } from 'playwright-core';
import { start, Started } from '../../../src/main';
import { testConfig } from '../../helpers/api';
import { createTestDb, TestDb } from '../../helpers/db';
import { Browser, buildConsole } from './browser';

// The console as `npm start` serves it (auth_strategy = noauth, no Keystone): no sign-in, a project
// to choose, every write allowed; the login forwarder says there is no Keystone; no engines screen
// while the API has no GET /v1/engines; the console's files are served with a strict CSP.

describe('web console without Keystone (noauth, Chromium)', function () {
  this.timeout(120_000);
  let t: TestDb;
  let fresco: Started;
  let base: string;
  let stateDir: string;
  let browser: Browser;
  let page: Page;

  before(async function () {
    this.timeout(300_000);
    buildConsole();
    t = await createTestDb();
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fresco-console-noauth-'));
    fresco = await start(testConfig({
      FRESCO_DATABASE_CONNECTION: t.url, FRESCO_BIND_PORT: '0', FRESCO_STATE_PATH: stateDir, FRESCO_AUTH_STRATEGY: 'noauth',
    }), 'api');
    base = `http://127.0.0.1:${fresco.address!.port}`;
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

  it('serves the built files with a content security policy, and nothing outside them', async () => {
    const index = await axios.get(`${base}/console/`);
    assert.match(String(index.headers['content-type']), /text\/html/);
    assert.match(index.headers['content-security-policy'], /default-src 'self'/);
    const script = /src="(app-[A-Z0-9]{8}\.js)"/.exec(index.data)?.[1];
    assert.ok(script, index.data);
    const js = await axios.get(`${base}/console/${script}`);
    assert.match(String(js.headers['content-type']), /javascript/);
    assert.match(String(js.headers['cache-control']), /immutable/);
    for (const p of ['/console/..%2Fpackage.json', '/console/.hidden', '/console/nope.js']) {
      const res = await axios.get(`${base}${p}`, { validateStatus: () => true });
      assert.equal(res.status, 404, p);
    }
    const version = await axios.get(`${base}/`);
    assert.deepEqual(version.data.auth, { strategy: 'noauth' });
    const login = await axios.post(`${base}/console/keystone/auth/tokens`, { auth: {} }, { validateStatus: () => true });
    assert.equal(login.status, 404);
    assert.equal(login.data.error.code, 'FRESCO_CONSOLE_NO_KEYSTONE');
  });

  it('asks only for a project, then lets the user write', async () => {
    await page.goto(`${base}/console/`);
    await page.getByLabel('Project', { exact: true }).waitFor();
    assert.deepEqual(await Browser.accessibilityViolations(page), []);
    await page.getByLabel('Project', { exact: true }).fill('laptop');
    await page.getByRole('button', { name: 'Open the console' }).click();
    await page.getByRole('heading', { level: 1, name: 'Apps' }).waitFor();
    assert.match(await page.locator('header .who').innerText(), /noauth · project laptop/);
    const create = page.getByRole('form', { name: 'Create an app' });
    await create.getByLabel('Name').fill('local');
    await create.getByRole('button', { name: 'Create app' }).click();
    await page.getByRole('heading', { level: 1, name: 'App local' }).waitFor();
    const apps = await axios.get(`${base}/v1/laptop/apps`);
    assert.deepEqual(apps.data.apps.map((a: { name: string }) => a.name), ['local']);
    await page.waitForLoadState('networkidle');
    // noauth lets the user do everything, and this API has GET /v1/engines: the screen is offered.
    await page.getByRole('link', { name: 'Engines' }).waitFor();
    await Browser.shot(page, 'noauth-app');
    assert.deepEqual(await Browser.accessibilityViolations(page), []);
  });

  it('raised no error in the page', () => {
    assert.deepEqual(browser.trouble, { consoleErrors: [], pageErrors: [], httpErrors: [] });
  });
});
