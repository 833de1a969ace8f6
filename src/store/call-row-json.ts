// A calls row as JSON text, the one form a row takes on its way to PostgreSQL: the journal keeps
// finished sync records as such lines (record-journal.ts), and the batched writes
// (call-batches.ts) hand PostgreSQL's json_populate_recordset()/json_to_recordset() one parameter
// of them per statement.

/** A call record's row: column name → value. */
export type Row = Record<string, unknown>;

/**
 * The JSON text of a call record's row, as the journal keeps it and as PostgreSQL's
 * json_populate_recordset() reads it into the calls table in one statement: buffers (result, log) as
 * bytea's hex text ("\\x…"), dates as ISO strings, undefined left out. Written out field by field,
 * with no copy of the row (it runs before every sync call's answer). NUL, which no
 * PostgreSQL text holds, is dropped from strings: such a row would fail its batch forever.
 */
export function encodeRow(row: Row): string {
  let out = '{';
  for (const k in row) {
    const v = row[k];
    if (v === undefined) continue;
    out += `${out.length > 1 ? ',' : ''}${keyText(k)}:`;
    if (v === null) out += 'null';
    else if (typeof v === 'string') out += JSON.stringify(v.includes('\0') ? v.replaceAll('\0', '') : v);
    else if (v instanceof Uint8Array) out += `"\\\\x${(Buffer.isBuffer(v) ? v : Buffer.from(v)).toString('hex')}"`;
    else if (v instanceof Date && !Number.isNaN(v.getTime())) out += `"${v.toISOString()}"`;
    else out += JSON.stringify(v) ?? 'null';
  }
  return `${out}}`;
}

const keyTexts = new Map<string, string>();
function keyText(k: string): string {
  let t = keyTexts.get(k);
  if (t === undefined) keyTexts.set(k, t = JSON.stringify(k));
  return t;
}
