import fs from 'node:fs/promises';
import path from 'node:path';
import Router from '@koa/router';
import type { Context } from 'koa';
import { authUnavailable, consoleNoKeystone, consoleNotBuilt, requestInvalid } from '../../errors';
import type { FrescoState } from '../context';
import { jsonBody } from '../middleware/json-body';

// The web console (docs/console.md): its static files, built by `npm run build` from console/ into
// dist/console, and — with Keystone auth — the one request a browser cannot send to a Keystone that
// has no CORS headers: its user's own POST /v3/auth/tokens, forwarded as it is.

/** What the console needs: where its files are, and (keystone mode) the client that forwards logins. */
export interface ConsoleDeps {
  /** The built console; default dist/console of this checkout. */
  consoleDir?: string;
  /** Present with auth_strategy = keystone. */
  keystone?: {
    login(body: unknown): Promise<{ status: number; token?: string; body: unknown }>;
    /** Where users get tokens; the version document shows it. */
    readonly wwwAuthenticateUri: string;
  };
  maxBodySize: number;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.map': 'application/json', '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon',
};
// Only what the build writes: flat names, no dot files, no traversal.
const FILE_NAME = /^[A-Za-z0-9_-][A-Za-z0-9_.-]*$/;
// The build names every asset but index.html with a content hash (console/build.ts).
const HASHED = /-[A-Z0-9]{8}\.[a-z]+$/;
const LOGIN_METHODS = new Set(['password', 'token', 'application_credential']);
const CSP = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
  + "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/** dist/console of this checkout, whether this module (in `moduleDir`) runs from src/ (tsx) or from dist/src/ (built). */
export function defaultConsoleDir(moduleDir = __dirname): string {
  const root = path.resolve(moduleDir, '../../..');
  return path.basename(root) === 'dist' ? path.join(root, 'console') : path.join(root, 'dist', 'console');
}

async function serveFile(ctx: Context, dir: string, name: string): Promise<void> {
  const type = TYPES[path.extname(name)];
  if (!FILE_NAME.test(name) || !type) return;
  let data: Buffer;
  try {
    data = await fs.readFile(path.join(dir, name));
  } catch {
    if (name === 'index.html') throw consoleNotBuilt(path.join(dir, 'index.html'));
    return;
  }
  ctx.type = type;
  ctx.set('Cache-Control', HASHED.test(name) ? 'public, max-age=31536000, immutable' : 'no-cache');
  ctx.set('Content-Security-Policy', CSP);
  ctx.set('X-Content-Type-Options', 'nosniff');
  ctx.set('Referrer-Policy', 'no-referrer');
  ctx.body = data;
}

/** The methods of a login body; throws ValidationError naming the field when it is not a Keystone v3 auth body. */
function checkLogin(body: unknown): void {
  const methods = (body as { auth?: { identity?: { methods?: unknown } } } | undefined)?.auth?.identity?.methods;
  if (!Array.isArray(methods) || methods.length === 0) {
    throw requestInvalid('auth.identity.methods: required, a Keystone v3 auth body as POST /v3/auth/tokens takes');
  }
  const other = methods.filter((m) => !LOGIN_METHODS.has(String(m)));
  if (other.length) throw requestInvalid(`auth.identity.methods: only ${[...LOGIN_METHODS].join(', ')} are forwarded`);
}

/** GET /console/… (the built files) and POST /console/keystone/auth/tokens (a 404 without Keystone). */
export function consoleRoutes(router: Router<FrescoState>, deps: ConsoleDeps): void {
  const dir = deps.consoleDir ?? defaultConsoleDir();
  // One layer for both: the router matches /console and /console/ alike. The page's relative asset
  // URLs need the trailing slash.
  router.get('/console', async (ctx) => {
    if (ctx.path === '/console') ctx.redirect('/console/');
    else await serveFile(ctx, dir, 'index.html');
  });
  router.get('/console/:file', (ctx) => serveFile(ctx, dir, ctx.params.file));
  const keystone = deps.keystone;
  router.post('/console/keystone/auth/tokens', jsonBody(deps.maxBodySize), async (ctx) => {
    if (!keystone) throw consoleNoKeystone();
    checkLogin(ctx.request.body);
    let answer;
    try {
      answer = await keystone.login(ctx.request.body);
    } catch (err) {
      throw authUnavailable((err as Error).message);
    }
    ctx.status = answer.status;
    ctx.set('Cache-Control', 'no-store');
    if (answer.token) ctx.set('X-Subject-Token', answer.token);
    ctx.body = answer.body ?? '';
  });
}
