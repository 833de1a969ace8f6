import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import axe from 'axe-core';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

// Debian's Chromium (/usr/bin/chromium, test/setup.d/40-chromium.sh) driven by playwright-core: no
// browser is downloaded. Headless, a fresh profile per context, background networking off. Every
// console error, page error and HTTP error answer the page sees is recorded, so that a test can
// say which ones it provoked and fail on any other.

export const CHROMIUM = '/usr/bin/chromium';
const ROOT = path.resolve(__dirname, '../../..');
/** Where the screenshots go (git-ignored): the closing note of the console's work shows them. */
export const SHOTS_DIR = path.join(ROOT, 'test-output', 'console');

/** Builds the console into dist/console (what npm run build does), so the test serves this checkout's. */
export function buildConsole(): void {
  execFileSync('npm', ['run', '--silent', 'build:console'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
}

/** What went wrong in the page: console errors, uncaught exceptions, and answers with status >= 400. */
export interface PageTrouble {
  consoleErrors: string[];
  pageErrors: string[];
  httpErrors: Array<{ method: string; url: string; status: number }>;
}

/** A headless Chromium context with its own profile directory, and its troubles. */
export class Browser {
  readonly trouble: PageTrouble = { consoleErrors: [], pageErrors: [], httpErrors: [] };

  private constructor(readonly context: BrowserContext, private readonly profile: string) {}

  /** Launches /usr/bin/chromium; throws (the test fails) when it is missing. */
  static async launch(): Promise<Browser> {
    if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: test/setup.d/40-chromium.sh installs it`);
    const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'fresco-chromium-'));
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM, headless: true, viewport: { width: 1280, height: 800 },
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync'],
    });
    return new Browser(context, profile);
  }

  /** A new tab whose troubles are recorded; window.confirm dialogs are accepted. */
  async page(): Promise<Page> {
    const page = await this.context.newPage();
    page.on('console', (m) => { if (m.type() === 'error') this.trouble.consoleErrors.push(m.text()); });
    page.on('pageerror', (e) => this.trouble.pageErrors.push(e.message));
    page.on('response', (r) => {
      if (r.status() >= 400) this.trouble.httpErrors.push({ method: r.request().method(), url: r.url(), status: r.status() });
    });
    page.on('dialog', (d) => { void d.accept(); });
    return page;
  }

  /**
   * The WCAG 2.1 A/AA violations axe-core finds in the page, as "rule: target" lines (empty: none).
   * axe is evaluated through the DevTools protocol, which the console's CSP does not govern.
   */
  static async accessibilityViolations(page: Page): Promise<string[]> {
    await page.evaluate(`${axe.source};0`);
    const results = await page.evaluate(() => (window as unknown as { axe: typeof axe }).axe.run(document,
      { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }));
    return results.violations.flatMap((v) => v.nodes.map((n) => `${v.id}: ${n.target.join(' ')} (${v.help})`));
  }

  /** Writes a screenshot of `page` to SHOTS_DIR/<name>.png. */
  static async shot(page: Page, name: string): Promise<void> {
    fs.mkdirSync(SHOTS_DIR, { recursive: true });
    await page.screenshot({ path: path.join(SHOTS_DIR, `${name}.png`), fullPage: true });
  }

  async close(): Promise<void> {
    await this.context.close();
    fs.rmSync(this.profile, { recursive: true, force: true });
  }
}
