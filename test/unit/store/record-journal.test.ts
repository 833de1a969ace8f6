import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { encodeRow } from '../../../src/store/call-row-json';
import { RecordJournal } from '../../../src/store/record-journal';

// The local journal of finished sync call records: what a killed process appended is found by the
// next one of the same name; what the database took is forgotten.

describe('RecordJournal', () => {
  let dir: string;
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fresco-journal-')); });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('gives the rows of a run that never closed (killed) to the next run, buffers and all; a torn last line is skipped', () => {
    const killed = new RecordJournal({ dir, name: 'e1' });
    killed.append(encodeRow({ id: 'a', result: Buffer.from([0, 1, 2]), completed_at: new Date('2026-01-02T03:04:05Z'), error: null }));
    killed.append(encodeRow({ id: 'b', result: Buffer.from('ok') }));
    const [file] = fs.readdirSync(dir);
    fs.appendFileSync(path.join(dir, file), '{"id":"c","res');
    fs.writeFileSync(path.join(dir, 'e2.1.journal'), '{"id":"other"}\n');

    const next = new RecordJournal({ dir, name: 'e1' });
    const { files, lines } = next.leftovers();
    const rows = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(rows.map((r) => r.id), ['a', 'b']);
    assert.equal(rows[0].result, '\\x000102', 'bytes as bytea hex text');
    assert.equal(rows[0].completed_at, '2026-01-02T03:04:05.000Z');
    assert.equal(rows[0].error, null);
    next.forget(files);
    assert.deepEqual(fs.readdirSync(dir), ['e2.1.journal'], "another name's journal is left alone");
  });

  it('forgets committed rows, across sealed segments, and keeps the rest', () => {
    const j = new RecordJournal({ dir, name: 'e1', segmentBytes: 64 });
    const seqs = Array.from({ length: 6 }, (_, i) => j.append(encodeRow({ id: `r${i}`, pad: 'x'.repeat(40) })));
    assert.ok(fs.readdirSync(dir).length > 1, 'small segments were sealed');
    j.committed(seqs[3]);
    const left = new RecordJournal({ dir, name: 'e1' }).leftovers().lines.map((l) => JSON.parse(l).id);
    assert.ok(!left.includes('r0') && left.includes('r4') && left.includes('r5'), JSON.stringify(left));
    j.committed(seqs[5]);
    assert.deepEqual(new RecordJournal({ dir, name: 'e1' }).leftovers().lines, []);
    j.close();
    assert.deepEqual(fs.readdirSync(dir), [], 'an empty journal leaves no file at close');
  });

  it('encodes a row as its JSON with buffers as bytea hex text: quotes and newlines, numbers, dates, nulls, nested JSON; NUL dropped', () => {
    const row = {
      id: 'q"\n\u2028', n: 42, f: 1.5, nan: NaN, t: true, at: new Date('2026-01-02T03:04:05.678Z'), bad: new Date('x'),
      none: null, gone: undefined, result: Buffer.from([0, 255, 10]), log: Buffer.alloc(0), u8: new Uint8Array([7]),
      obj: { a: [1, 'b'] }, nul: 'a\u0000b',
    };
    const copy = { ...row, result: '\\x00ff0a', log: '\\x', u8: '\\x07', nul: 'ab' };
    assert.equal(encodeRow(row), JSON.stringify(copy));
    const j = new RecordJournal({ dir, name: 'e1' });
    j.append(encodeRow(row));
    j.close();
    const [file] = fs.readdirSync(dir);
    assert.equal(fs.readFileSync(path.join(dir, file), 'utf8'), `${JSON.stringify(copy)}\n`);
  });

  it('gives back a journal of the earlier format (buffers as {$base64}, the request as JSON text) in this one', () => {
    const request = { method: 'POST', body: 'Yg==' };
    fs.writeFileSync(path.join(dir, 'e1.1-1-0.journal'),
      `${JSON.stringify({ id: 'old', result: { $base64: 'AP8K' }, log: { $base64: '' }, request: JSON.stringify(request) })}\n`);
    assert.deepEqual(new RecordJournal({ dir, name: 'e1' }).leftovers().lines.map((l) => JSON.parse(l)),
      [{ id: 'old', result: '\\x00ff0a', log: '\\x', request }]);
  });

  it('keeps everything once rows were given up in memory', () => {
    const j = new RecordJournal({ dir, name: 'e1' });
    const s = j.append(encodeRow({ id: 'kept' }));
    j.keepEverything();
    j.committed(s);
    j.close();
    assert.deepEqual(new RecordJournal({ dir, name: 'e1' }).leftovers().lines.map((l) => JSON.parse(l).id), ['kept']);
  });
});
