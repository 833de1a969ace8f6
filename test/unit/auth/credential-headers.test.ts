import assert from 'node:assert/strict';
import { CREDENTIAL_HEADERS, TOKEN_HEADERS, tokenOf } from '../../../src/auth';
import { functionHeaders } from '../../../src/services/invoke-service';

describe('credential headers: one list for authentication and for what functions see', () => {
  it('every header the middleware takes a token from is a credential', () => {
    for (const name of TOKEN_HEADERS) assert.ok(CREDENTIAL_HEADERS.includes(name), name);
    assert.equal(tokenOf((n) => (n === 'X-Storage-Token' ? ' swift ' : '')), 'swift');
  });

  it('functionHeaders removes every credential and identity header, whatever its case', () => {
    const sent: Record<string, string> = { 'X-Custom': 'kept', 'X-Roles': 'admin', 'X-Tenant-Id': 'p' };
    for (const name of CREDENTIAL_HEADERS) sent[name.toUpperCase()] = 'secret';
    assert.deepEqual(functionHeaders(sent), { 'x-custom': 'kept' });
  });
});
