import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { AxiosError, AxiosHeaders } from 'axios';
import { createLogger } from '../../../src/log';

// No token or password reaches a log line, whether logged as a field or inside an HTTP error.

function capture(): { logger: ReturnType<typeof createLogger>; text: () => string } {
  const chunks: string[] = [];
  const sink = new Writable({ write(chunk, _enc, cb) { chunks.push(String(chunk)); cb(); } });
  const logger = createLogger(sink);
  logger.level = 'info';
  return { logger, text: () => chunks.join('') };
}

describe('log', () => {
  it('redacts tokens and passwords given as fields', () => {
    const { logger, text } = capture();
    logger.info({ token: 'gAAAAtoken1', user: { password: 'hunter2' }, headers: { 'x-auth-token': 'gAAAAtoken2' } }, 'x');
    assert.doesNotMatch(text(), /gAAAAtoken1|hunter2|gAAAAtoken2/);
    assert.match(text(), /\*\*\*/);
  });

  it("keeps an HTTP error's message and status but not its request headers or body", () => {
    const { logger, text } = capture();
    const headers = new AxiosHeaders({ 'X-Auth-Token': 'gAAAAservice', 'X-Subject-Token': 'gAAAAuser' });
    const config = { headers, url: 'http://keystone/v3/auth/tokens', data: '{"password":"s3cret-pw"}' };
    const err = new AxiosError('Request failed with status code 500', 'ERR_BAD_RESPONSE', config as never, {},
      { status: 500, statusText: 'x', headers: {}, config: config as never, data: 'oops' });
    logger.error({ err }, 'Keystone failed');
    const line = JSON.parse(text());
    assert.equal(line.err.message, 'Request failed with status code 500');
    assert.equal(line.err.status, 500);
    assert.doesNotMatch(text(), /gAAAAservice|gAAAAuser|s3cret-pw/);
  });
});
