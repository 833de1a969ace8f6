import assert from 'node:assert/strict';
import { ConfigError } from '../../../src/errors';
import { resolveOptions } from '../../../src/executor/options';

describe('executor options', () => {
  it('fills the documented defaults', () => {
    const o = resolveOptions({ engineId: 'node-1-engine' });
    assert.equal(o.defaultNetwork, 'none');
    assert.equal(o.user, '65534:65534');
    assert.deepEqual(o.prestart, { enabled: true, perRoute: 1, total: 32 });
  });

  it('refuses a bad engine id, a negative count and a run directory too long for unix sockets', () => {
    assert.throws(() => resolveOptions({ engineId: 'has space' }), ConfigError);
    assert.throws(() => resolveOptions({ engineId: 'e', prestartTotal: -1 }), /prestartTotal/);
    assert.throws(() => resolveOptions({ engineId: 'e', runDir: `/${'d'.repeat(95)}` }),
      (err: Error) => err instanceof ConfigError && /state_path/.test(err.message));
    assert.ok(resolveOptions({ engineId: 'e', runDir: `/${'d'.repeat(89)}` }));
  });
});
