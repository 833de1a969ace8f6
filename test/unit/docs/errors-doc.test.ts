import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ERROR_REGISTRY, FrescoError, isRetryable } from '../../../src/errors';
import * as errors from '../../../src/errors';
import { ERRORS_DOC, renderErrorsDoc } from '../../../src/errors-doc';

// Every error is declared once, in src/errors.ts, and docs/errors.md is generated from that
// registry: this fails when the page is stale (run `npm run docs:errors`) or a code is built elsewhere.

const ROOT = path.resolve(__dirname, '../../..');

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []);
}

const registered = new Set(ERROR_REGISTRY.map((s) => s.code));

describe('docs/errors.md and the error registry', () => {
  const doc = fs.readFileSync(ERRORS_DOC, 'utf8');

  it('documents every registered code, and nothing else', () => {
    const documented = new Set([...doc.matchAll(/^\| `(FRESCO_[A-Z_]+)` \|/gm)].map((m) => m[1]));
    assert.deepEqual([...registered].filter((c) => !documented.has(c)), [], 'registered but not in docs/errors.md');
    assert.deepEqual([...documented].filter((c) => !registered.has(c)), [], 'in docs/errors.md but not registered');
  });

  it('is the page the registry renders (npm run docs:errors rewrites it)', () => {
    assert.equal(doc, renderErrorsDoc());
  });

  it('declares codes only in src/errors.ts: no other source file spells a registered one', () => {
    const elsewhere: string[] = [];
    for (const file of sourceFiles(path.join(ROOT, 'src'))) {
      if (file === path.join(ROOT, 'src/errors.ts')) continue;
      for (const m of fs.readFileSync(file, 'utf8').matchAll(/['"`](FRESCO_[A-Z_]+)['"`]/g)) {
        if (registered.has(m[1])) elsewhere.push(`${path.relative(ROOT, file)}: ${m[1]}`);
      }
    }
    assert.deepEqual(elsewhere, []);
  });

  it('builds each failure with its registered code, status, family and retry flag', () => {
    const factories = Object.values(errors).filter((v): v is errors.ErrorFactory<unknown[]> =>
      typeof v === 'function' && 'spec' in v && 'is' in v);
    assert.deepEqual(factories.map((f) => f.spec.code).sort(), [...registered].sort(), 'one exported factory per code');
    const notFound = errors.routeNotFound('app', '/p');
    assert.ok(notFound instanceof errors.NotFoundError && errors.routeNotFound.is(notFound));
    assert.deepEqual([notFound.code, notFound.status, notFound.message],
      ['FRESCO_ROUTE_NOT_FOUND', 404, 'Route /p not found in app "app"']);
    assert.ok(errors.policyForbidden('a', 'p', ['reader']) instanceof errors.ForbiddenError);
    assert.ok(errors.queueUnavailable('down') instanceof errors.QueueUnavailableError);
    assert.deepEqual(errors.engineBusy('/r').headers, { 'Retry-After': '1' });
    assert.deepEqual(errors.authRequired('no token', 'Keystone uri="x"').headers, { 'WWW-Authenticate': 'Keystone uri="x"' });
  });

  it('marks exactly the 503s retryable: the engine, queue, Keystone and database may come back', () => {
    assert.deepEqual(ERROR_REGISTRY.filter((s) => s.retryable).map((s) => s.code),
      ERROR_REGISTRY.filter((s) => s.status === 503).map((s) => s.code));
    assert.ok(isRetryable(errors.engineBusy('/r')) && isRetryable(errors.queueUnavailable('down')));
    assert.ok(!isRetryable(errors.imagePullFailed('x', 'y')) && !isRetryable(new Error('plain')));
    assert.ok(!(errors.dockerFailed('start', new Error('boom')) as FrescoError).expose);
  });
});
