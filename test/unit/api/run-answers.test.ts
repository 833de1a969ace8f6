import assert from 'node:assert/strict';
import type { CallOutcome } from '../../../src/domain/executor';
import { rawAnswer } from '../../../src/api/run-answers';
import type { ResolvedRoute } from '../../../src/services/route-resolver';

// The raw /r answer's Content-Type when neither the route nor the function names one: text only
// for valid UTF-8 without NUL bytes.

const target = { route: { headers: {} } } as unknown as ResolvedRoute;

function typeOf(output: Buffer): string | string[] | undefined {
  const outcome = { status: 'success', result: output } as unknown as CallOutcome;
  return rawAnswer(target, 'id', outcome).headers.find(([n]) => n === 'Content-Type')?.[1];
}

describe('rawAnswer Content-Type', () => {
  it('is text for UTF-8 (ASCII, accents, emoji, empty) and bytes for NUL, invalid, overlong, surrogate or cut sequences', () => {
    for (const text of ['Hello Bob\n', 'Grüße — 東京 🎉', '']) assert.equal(typeOf(Buffer.from(text)), 'text/plain; charset=utf-8', text);
    const bytes = [
      Buffer.from('a\0b'), Buffer.from([0xff, 0x41]), Buffer.from([0xc0, 0xaf]), Buffer.from([0xed, 0xa0, 0x80]),
      Buffer.from('🎉').subarray(0, 3),
    ];
    for (const b of bytes) assert.equal(typeOf(b), 'application/octet-stream', b.toString('hex'));
  });
});
