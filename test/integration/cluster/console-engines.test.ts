import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { EngineMembership } from '../../../src/cluster/membership';
import { start, Started } from '../../../src/main';
import { KnexEngineStore } from '../../../src/store/engine-store';
import { testConfig } from '../../helpers/api';
import { createTestDb, TestDb } from '../../helpers/db';
import { issueToken, keystone, OsEnv } from '../auth/keystone-env';
import { Browser, buildConsole } from '../console/browser';

// The console's Engines screen, for operators: an admin signed in to a Fresco whose database holds
// a live engine's membership (renewed by the engines' own membership code) follows the Engines
// link and sees that engine's id, host and state; real Keystone, PostgreSQL and Chromium.

describe('web console: the Engines screen for an admin', function () {
  this.timeout(120_000);
  let env: OsEnv;
  let t: TestDb;
  let fresco: Started;
  let stateDir: string;
  let browser: Browser;
  let page: Page;
  let membership: EngineMembership;
  const engineId = `test-console-engine-${randomUUID().slice(0, 8)}`;

  before(async function () {
    this.timeout(600_000);
    env = await keystone();
    buildConsole();
    t = await createTestDb();
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fresco-console-engines-'));
    fresco = await start(testConfig({
      FRESCO_DATABASE_CONNECTION: t.url, FRESCO_BIND_PORT: '0', FRESCO_STATE_PATH: stateDir,
      FRESCO_ENGINE_ENGINE_ID: `test-console-all-${randomUUID().slice(0, 8)}`,
      FRESCO_KEYSTONE_AUTH_URL: env.OS_AUTH_URL, FRESCO_KEYSTONE_USERNAME: env.OS_SERVICE_USERNAME,
      FRESCO_KEYSTONE_PASSWORD: env.OS_SERVICE_PASSWORD, FRESCO_KEYSTONE_PROJECT_NAME: env.OS_SERVICE_PROJECT_NAME,
    }), 'all');
    membership = new EngineMembership(new KnexEngineStore(t.db), {
      id: engineId, host: 'engine-host-7', url: 'http://127.0.0.1:1', memoryBudgetMb: 2048, callSlots: 64, startedAt: new Date(),
    }, () => ({ runningCalls: 1, memoryUsedMb: 128, hotContainers: 1, hotRoutes: [] }), 1000);
    await membership.start();
    browser = await Browser.launch();
    page = await browser.page();
    page.setDefaultTimeout(20_000);
  });

  after(async () => {
    await membership?.leave();
    await browser?.close();
    await fresco?.stop();
    await t?.drop();
    if (stateDir) fs.rmSync(stateDir, { recursive: true, force: true });
  });

  it('an admin follows the Engines link and sees the live engine with its host and state', async () => {
    const base = `http://127.0.0.1:${fresco.address!.port}`;
    await page.goto(`${base}/console/`);
    await page.getByRole('heading', { level: 1 }).filter({ hasText: 'Fresco console' }).waitFor();
    await page.getByLabel('a token I have').check();
    const fields = { Token: await issueToken(env, 'ADMIN'), Project: env.OS_ADMIN_PROJECT_NAME, Domain: 'Default' };
    for (const [label, value] of Object.entries(fields)) await page.getByLabel(label, { exact: true }).fill(value);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1 }).filter({ hasText: 'Apps' }).waitFor();
    await page.getByRole('link', { name: 'Engines' }).click();
    await page.getByRole('heading', { level: 1 }).filter({ hasText: 'Engines' }).waitFor();
    const row = page.getByRole('row', { name: new RegExp(engineId) });
    await row.waitFor();
    const text = await row.innerText();
    assert.match(text, /engine-host-7/);
    assert.match(text, /\bup\b/);
    await Browser.shot(page, 'admin-engines');
    assert.deepEqual(await Browser.accessibilityViolations(page), []);
    assert.deepEqual(browser.trouble.pageErrors, []);
  });
});
