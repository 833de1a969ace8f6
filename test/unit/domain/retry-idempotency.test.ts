import assert from 'node:assert/strict';
import type { ExecutorCall } from '../../../src/domain/executor';
import { keyProblem, requestFingerprint } from '../../../src/domain/idempotency';
import { DEFAULT_RETRY, retryDelayMs, shouldRetry } from '../../../src/domain/retry';
import { callEnv } from '../../../src/executor/env';

describe('retry policy and idempotency keys (domain)', () => {
  const policy = { retries: 2, delay: 1, backoff: 3, maxDelay: 5, on: ['error' as const] };

  it('retries only listed outcomes, and only while attempts are left', () => {
    assert.equal(shouldRetry(policy, 'error', 1), true);
    assert.equal(shouldRetry(policy, 'error', 2), true);
    assert.equal(shouldRetry(policy, 'error', 3), false, '1 + retries attempts in all');
    for (const status of ['timeout', 'success', 'cancelled']) assert.equal(shouldRetry(policy, status, 1), false, status);
    assert.equal(shouldRetry(DEFAULT_RETRY, 'error', 1), false, 'no retries by default');
  });

  it('waits delay × backoff^(n−1), capped, with equal jitter', () => {
    assert.deepEqual([1, 2, 3].map((n) => retryDelayMs(policy, n, () => 1)), [1000, 3000, 5000]);
    assert.deepEqual([1, 2, 3].map((n) => retryDelayMs(policy, n, () => 0)), [500, 1500, 2500]);
  });

  it('accepts 1–255 printable ASCII characters as a key and names what is wrong otherwise', () => {
    assert.equal(keyProblem('a'), undefined);
    assert.equal(keyProblem(' ~'.repeat(127) + 'x'), undefined);
    assert.equal(keyProblem(''), 'must not be empty');
    assert.equal(keyProblem('k'.repeat(256)), 'must be at most 255 characters');
    assert.equal(keyProblem('caf\u00e9'), 'must be printable ASCII characters only');
    assert.equal(keyProblem('a\tb'), 'must be printable ASCII characters only');
  });

  it('fingerprints method, route and body', () => {
    const r = { projectId: 'p', app: 'a', path: '/x' };
    const f = requestFingerprint('POST', r, Buffer.from('1'));
    assert.equal(requestFingerprint('post', r, Buffer.from('1')), f);
    assert.notEqual(requestFingerprint('PUT', r, Buffer.from('1')), f);
    assert.notEqual(requestFingerprint('POST', { ...r, path: '/y' }, Buffer.from('1')), f);
    assert.notEqual(requestFingerprint('POST', { ...r, app: 'b' }, Buffer.from('1')), f);
    assert.notEqual(requestFingerprint('POST', r, Buffer.from('2')), f);
  });

  it('fingerprints the version asked for: by alias name or number; version 0 is the route itself', () => {
    const r = { projectId: 'p', app: 'a', path: '/x' };
    const body = Buffer.from('1');
    const f = requestFingerprint('POST', r, body);
    assert.equal(requestFingerprint('POST', r, body, { version: 0 }), f);
    const v2 = requestFingerprint('POST', r, body, { version: 2 });
    assert.notEqual(v2, f);
    assert.notEqual(requestFingerprint('POST', r, body, { version: 3 }), v2);
    // An alias is its name, whatever version it names at the time.
    const prod = requestFingerprint('POST', r, body, { alias: 'prod', version: 2 });
    assert.notEqual(prod, v2);
    assert.equal(requestFingerprint('POST', r, body, { alias: 'prod', version: 5 }), prod);
    assert.notEqual(requestFingerprint('POST', r, body, { alias: 'next' }), prod);
  });

  it('gives an async attempt to the function as FRESCO_ATTEMPT', () => {
    const req: ExecutorCall = {
      id: 'c1', method: 'POST', url: 'u', requestPath: '/p', headers: {}, body: Buffer.alloc(0), attempt: 2,
      route: { projectId: 'p', appName: 'a', path: '/p', image: 'i', format: 'default', memory: 128, timeout: 30, idleTimeout: 30, maxConcurrency: 1, config: {} },
    };
    assert.ok(callEnv(req).includes('FRESCO_ATTEMPT=2'));
    assert.ok(!callEnv({ ...req, attempt: undefined }).some((e) => e.startsWith('FRESCO_ATTEMPT=')));
  });
});
