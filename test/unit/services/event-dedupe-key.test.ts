import assert from 'node:assert/strict';
import { eventDedupeKey } from '../../../src/services/event-service';

// The calls' dedupe_key column is varchar(512): a key that does not fit made every delivery of its
// notification fail in the store, requeued for ever (issue 18).

describe('services/event-service eventDedupeKey', () => {
  const trigger = '3f0c3b5e-6f1e-4a3e-9a55-2f1f7c1d0b9a';

  it('keeps an oslo message id as it is', () => {
    assert.equal(eventDedupeKey('0b7e9b2a-1c3d-4e5f-8a9b-0c1d2e3f4a5b', trigger), `event:0b7e9b2a-1c3d-4e5f-8a9b-0c1d2e3f4a5b:${trigger}`);
  });

  it('hashes an over-long message id to a short, stable key, distinct per id', () => {
    const long = eventDedupeKey('x'.repeat(5000), trigger);
    assert.match(long, new RegExp(`^event:sha256-[0-9a-f]{64}:${trigger}$`));
    assert.equal(eventDedupeKey('x'.repeat(5000), trigger), long);
    assert.notEqual(eventDedupeKey(`${'x'.repeat(4999)}y`, trigger), long);
    assert.ok(long.length <= 512);
  });
});
