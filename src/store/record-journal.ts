import fs from 'node:fs';
import path from 'node:path';
import { log } from '../log';
import { encodeRow, type Row } from './call-row-json';

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

  /** Rows journalled by an earlier run of this name (their encodeRow text) and the files holding them; call before
   *  the first append. */
  leftovers(): { files: string[]; lines: string[] } {
    fs.mkdirSync(this.options.dir, { recursive: true });
    const files = fs.readdirSync(this.options.dir).filter((f) => f.startsWith(`${this.options.name}.`) && f.endsWith('.journal'))
      .map((f) => path.join(this.options.dir, f)).filter((f) => f !== this.current?.file);
    const lines = files.flatMap((f) => completeLines(fs.readFileSync(f, 'utf8')));
    return { files, lines };
  }

  /** Deletes the files leftovers() returned, once their rows are in the database. */
  forget(files: string[]): void {
    for (const f of files) fs.rmSync(f, { force: true });
  }

  /** Appends a row's encodeRow text (one write; survives this process being killed); returns its sequence number.
   *  Never throws: a journal that cannot be written (disk full, read-only) is logged and the row goes to the database
   *  unjournalled. */
  append(line: string): number {
    try {
      const seg = this.segment();
      seg.bytes += fs.writeSync(seg.fd, `${line}\n`);
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

// A row of the earlier format (buffers as {"$base64": …}, the request as JSON text in a string) in this one;
// undefined when the row is in this format already.
function fromEarlierFormat(row: Row): Row | undefined {
  let earlier = false;
  const out: Row = {};
  for (const [k, v] of Object.entries(row)) {
    const b = (v as { $base64?: unknown } | null)?.$base64;
    const buffer = typeof b === 'string';
    const requestText = k === 'request' && typeof v === 'string';
    out[k] = buffer ? Buffer.from(b, 'base64') : requestText ? JSON.parse(v) : v;
    earlier ||= buffer || requestText;
  }
  return earlier ? out : undefined;
}

/** The complete lines of a journal, as encodeRow wrote them: a process killed mid-write leaves at most a partial last
 *  line (skipped). Lines of the earlier format come back in this one. */
function completeLines(text: string): string[] {
  const lines: string[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    let row: Row;
    try {
      row = JSON.parse(line) as Row;
    } catch {
      log.warn('a partial call record at the end of a journal was skipped');
      continue;
    }
    const earlier = fromEarlierFormat(row);
    lines.push(earlier ? encodeRow(earlier) : line);
  }
  return lines;
}
