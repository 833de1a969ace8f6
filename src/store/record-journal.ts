import fs from 'node:fs';
import path from 'node:path';
import { log } from '../log';

// Finished sync call records are answered first and written to the database a few ms later, many
// per commit. So that a process killed in between (kill -9, OOM) does not lose them, each record is
// first appended to a local journal file: one write(2), no fsync, so it costs microseconds and
// survives the process (the kernel keeps the page); an fdatasync every `syncMs`, off the answer's
// path, bounds what a crash of the whole host can lose. Once the rows are committed the journal is
// emptied; a journal left by a killed process is written to the database when the process (the
// same state_path and engine id) starts again.

/** Options of a RecordJournal. */
export interface RecordJournalOptions {
  /** Directory of the journal files (created). */
  dir: string;
  /** File name prefix: one writer per name (Fresco uses the engine id). */
  name: string;
  /** A segment larger than this is sealed and a new one begun; default 4 MiB. */
  segmentBytes?: number;
  /** fdatasync period; default 1000 ms. */
  syncMs?: number;
}

interface Segment {
  file: string;
  fd: number;
  bytes: number;
  /** Sequence number of the last row appended to it. */
  lastSeq: number;
}

type Row = Record<string, unknown>;

/** An append-only local journal of rows not yet in the database; see the module comment. */
export class RecordJournal {
  private current?: Segment;
  private readonly sealed: Segment[] = [];
  private seq = 0;
  private counter = 0;
  private keepAll = false;
  private failing = false;
  private syncTimer?: NodeJS.Timeout;
  private readonly segmentBytes: number;

  constructor(private readonly options: RecordJournalOptions) {
    this.segmentBytes = options.segmentBytes ?? 4 * 1024 * 1024;
  }

  /** Rows journalled by an earlier run of this name and the files holding them; call before the first append. */
  leftovers(): { files: string[]; rows: Row[] } {
    fs.mkdirSync(this.options.dir, { recursive: true });
    const files = fs.readdirSync(this.options.dir).filter((f) => f.startsWith(`${this.options.name}.`) && f.endsWith('.journal'))
      .map((f) => path.join(this.options.dir, f)).filter((f) => f !== this.current?.file);
    const rows = files.flatMap((f) => parseLines(fs.readFileSync(f, 'utf8')));
    return { files, rows };
  }

  /** Deletes the files leftovers() returned, once their rows are in the database. */
  forget(files: string[]): void {
    for (const f of files) fs.rmSync(f, { force: true });
  }

  /** Appends `row` (one write; survives this process being killed); returns its sequence number. Never throws: a
   *  journal that cannot be written (disk full, read-only) is logged and the row goes to the database unjournalled. */
  append(row: Row): number {
    try {
      const seg = this.segment();
      const line = `${encodeLine(row)}\n`;
      seg.bytes += fs.writeSync(seg.fd, line);
      seg.lastSeq = ++this.seq;
    } catch (err) {
      if (!this.failing) log.error({ err, dir: this.options.dir }, 'cannot write the call record journal; records are not protected');
      this.failing = true;
    }
    return this.seq;
  }

  /** Every row up to `seq` is in the database: the journal forgets them (unless told to keep everything). */
  committed(seq: number): void {
    if (this.keepAll) return;
    while (this.sealed.length && this.sealed[0].lastSeq <= seq) this.drop(this.sealed.shift()!);
    const cur = this.current;
    if (cur && cur.bytes > 0 && cur.lastSeq <= seq) {
      fs.ftruncateSync(cur.fd, 0);
      cur.bytes = 0;
    }
  }

  /** Some rows will never be written by this run (given up in memory): keep the whole journal for the next start. */
  keepEverything(): void {
    if (!this.keepAll) log.warn({ dir: this.options.dir }, 'call records kept in the local journal until the next start');
    this.keepAll = true;
  }

  /** Syncs and closes the files; they stay on disk when they still hold rows. Idempotent. */
  close(): void {
    clearInterval(this.syncTimer);
    this.syncTimer = undefined;
    for (const seg of [...this.sealed, ...(this.current ? [this.current] : [])]) {
      fs.fdatasyncSync(seg.fd);
      fs.closeSync(seg.fd);
      if (seg.bytes === 0) fs.rmSync(seg.file, { force: true });
    }
    this.sealed.length = 0;
    this.current = undefined;
  }

  private segment(): Segment {
    if (this.current && this.current.bytes < this.segmentBytes) return this.current;
    if (this.current) this.sealed.push(this.current);
    fs.mkdirSync(this.options.dir, { recursive: true });
    const file = path.join(this.options.dir, `${this.options.name}.${Date.now()}-${process.pid}-${this.counter++}.journal`);
    this.current = { file, fd: fs.openSync(file, 'a'), bytes: 0, lastSeq: this.seq };
    this.syncTimer ??= setInterval(() => this.sync(), this.options.syncMs ?? 1000).unref();
    return this.current;
  }

  private sync(): void {
    const cur = this.current;
    if (cur && cur.bytes > 0) fs.fdatasync(cur.fd, () => undefined);
  }

  private drop(seg: Segment): void {
    fs.closeSync(seg.fd);
    fs.rmSync(seg.file, { force: true });
  }
}

// The JSON text of `row` with buffers (result, log) as {"$base64": …}; dates become ISO strings,
// which PostgreSQL reads back as they were. Written out field by field: the same text as
// JSON.stringify of a copy with the buffers replaced, at a quarter of its cost (it runs before
// every sync call's answer).
function encodeLine(row: Row): string {
  let out = '{';
  for (const k in row) {
    const v = row[k];
    if (v === undefined) continue;
    out += `${out.length > 1 ? ',' : ''}${keyText(k)}:`;
    if (v === null) out += 'null';
    else if (typeof v === 'string') out += JSON.stringify(v);
    else if (Buffer.isBuffer(v)) out += `{"$base64":"${v.toString('base64')}"}`;
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

function decode(row: Row): Row {
  const out: Row = {};
  for (const [k, v] of Object.entries(row)) {
    const b = v as { $base64?: string } | null;
    out[k] = b && typeof b === 'object' && typeof b.$base64 === 'string' ? Buffer.from(b.$base64, 'base64') : v;
  }
  return out;
}

/** Complete lines only: a process killed mid-write leaves at most a partial last line. */
function parseLines(text: string): Row[] {
  const rows: Row[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      rows.push(decode(JSON.parse(line) as Row));
    } catch {
      log.warn('a partial call record at the end of a journal was skipped');
    }
  }
  return rows;
}
