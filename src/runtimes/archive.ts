// Code packages (docs/runtimes.md): a single file, or a zip read with yauzl. Every check runs when
// the package is uploaded, and again when an engine unpacks it: the size limit, file names that
// would leave the tree (zip-slip, absolute paths), symlinks pointing out of it, zip bombs
// (declared size over the limit, an entry expanding more than `maxRatio` times, actual data
// larger than declared) and input that is not a zip. A refusal is FRESCO_PACKAGE_INVALID naming
// the problem.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import yauzl from 'yauzl';
import { packageInvalid } from '../errors';
import { packageDigest } from './model';

/** What a package may be. */
export interface PackageLimits {
  /** Bytes of the upload (default 50 MiB). */
  maxSize: number;
  /** Bytes of all files once unpacked. */
  maxUnpacked: number;
  /** Most an entry may expand (uncompressed / compressed). */
  maxRatio: number;
  maxEntries: number;
}

export const DEFAULT_LIMITS: PackageLimits = {
  maxSize: 50 * 1024 * 1024, maxUnpacked: 250 * 1024 * 1024, maxRatio: 200, maxEntries: 10_000,
};

/** A package that passed the checks. */
export interface CheckedPackage {
  /** sha256 of the bytes, hex. */
  digest: string;
  /** The file name of a single-file package; undefined for a zip. */
  file?: string;
  /** Bytes once unpacked. */
  unpackedSize: number;
}

const FILE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,254}$/;

/** True when `name` (the uploaded file's name) denotes a zip. */
export function isZipName(name: string): boolean {
  return /\.zip$/i.test(name);
}

/** Checks the upload `content` named `name`; throws FRESCO_PACKAGE_INVALID naming the problem. */
export async function checkPackage(name: string, content: Buffer, limits: PackageLimits): Promise<CheckedPackage> {
  if (!FILE_NAME.test(name)) {
    throw packageInvalid(`the file name ${JSON.stringify(name)} must be 1-255 letters, digits, "_", "." or "-", not starting with "." or "-"`);
  }
  if (content.length > limits.maxSize) {
    throw packageInvalid(`the package is ${content.length} bytes, over the limit of ${limits.maxSize} bytes`);
  }
  if (content.length === 0) throw packageInvalid('the package is empty');
  const digest = packageDigest(content);
  if (!isZipName(name)) return { digest, file: name, unpackedSize: content.length };
  const unpackedSize = await walkZip(content, limits, () => Promise.resolve());
  return { digest, unpackedSize };
}

/** Unpacks a checked package into `dir` (which must not exist yet); throws as checkPackage. */
export async function unpack(content: Buffer, file: string | undefined, dir: string, limits: PackageLimits): Promise<number> {
  await fs.mkdir(dir, { recursive: true, mode: 0o755 });
  if (file !== undefined) {
    if (!FILE_NAME.test(file)) throw packageInvalid(`the file name ${JSON.stringify(file)} is not a plain file name`);
    await fs.writeFile(path.join(dir, file), content, { mode: 0o644 });
    return content.length;
  }
  const links: Array<[string, string]> = [];
  const size = await walkZip(content, limits, async (entry) => {
    const to = path.join(dir, ...entry.name.split('/'));
    if (entry.kind === 'dir') return void await fs.mkdir(to, { recursive: true, mode: 0o755 });
    await fs.mkdir(path.dirname(to), { recursive: true, mode: 0o755 });
    if (entry.kind === 'symlink') return void links.push([entry.data.toString('utf8'), to]);
    await fs.writeFile(to, entry.data, { mode: entry.executable ? 0o755 : 0o644, flag: 'wx' });
  });
  // Symlinks last, so that no file is ever written through one.
  for (const [target, at] of links) await fs.symlink(target, at);
  return size;
}

interface ZipEntry {
  name: string;
  kind: 'file' | 'dir' | 'symlink';
  executable: boolean;
  data: Buffer;
}

const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;

function open(content: Buffer): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(content, { lazyEntries: true, validateEntrySizes: true, strictFileNames: false }, (err, zip) => {
      if (err || !zip) return reject(packageInvalid(`not a zip archive (${err?.message ?? 'unreadable'})`));
      resolve(zip);
    });
  });
}

// yauzl refuses dangerous names itself; its messages become ours.
function nameProblem(err: Error): Error {
  const m = err.message;
  if (/^absolute path/.test(m)) return packageInvalid(`${m.replace(/^absolute path: /, 'the absolute path ')} is refused: paths must be relative`);
  if (/^invalid relative path/.test(m)) return packageInvalid(`the path ${m.replace(/^invalid relative path: /, '')} leaves the package (zip-slip) and is refused`);
  if ((err as { status?: number }).status === 400) return err;
  return packageInvalid(`not a valid zip archive (${m})`);
}

/** Calls `each` on every entry in order, after checking it; resolves to the unpacked size. */
async function walkZip(content: Buffer, limits: PackageLimits, each: (e: ZipEntry) => Promise<void>): Promise<number> {
  const zip = await open(content);
  if (zip.entryCount > limits.maxEntries) {
    zip.close();
    throw packageInvalid(`the zip holds ${zip.entryCount} entries, over the limit of ${limits.maxEntries}`);
  }
  let total = 0;
  let files = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      const fail = (err: Error) => { zip.close(); reject(nameProblem(err)); };
      zip.on('error', fail);
      zip.on('end', () => resolve());
      zip.on('entry', (entry: yauzl.Entry) => {
        onEntry(zip, entry, limits, total).then(async (e) => {
          total += e.data.length;
          if (e.kind !== 'dir') files++;
          await each(e);
          zip.readEntry();
        }, fail).catch(fail);
      });
      zip.readEntry();
    });
  } finally {
    zip.close();
  }
  if (files === 0) throw packageInvalid('the zip holds no files');
  return total;
}

async function onEntry(zip: yauzl.ZipFile, entry: yauzl.Entry, limits: PackageLimits, sofar: number): Promise<ZipEntry> {
  const name = entry.fileName.replace(/\/+$/, '');
  checkName(entry.fileName);
  const mode = (entry.externalFileAttributes >>> 16) & 0xffff;
  if (entry.fileName.endsWith('/')) return { name, kind: 'dir', executable: false, data: Buffer.alloc(0) };
  if (sofar + entry.uncompressedSize > limits.maxUnpacked) {
    throw packageInvalid(`zip bomb: the files declare more than ${limits.maxUnpacked} bytes unpacked (limit)`);
  }
  if (entry.uncompressedSize > 1024 * 1024 && entry.uncompressedSize > limits.maxRatio * Math.max(1, entry.compressedSize)) {
    throw packageInvalid(`zip bomb: ${name} expands ${Math.round(entry.uncompressedSize / Math.max(1, entry.compressedSize))} times, over the limit of ${limits.maxRatio}`);
  }
  const data = await readEntry(zip, entry, name, limits.maxUnpacked - sofar);
  if ((mode & S_IFMT) === S_IFLNK) {
    checkLink(name, data.toString('utf8'));
    return { name, kind: 'symlink', executable: false, data };
  }
  return { name, kind: 'file', executable: (mode & 0o111) !== 0, data };
}

function checkName(fileName: string): void {
  const parts = fileName.replace(/\/+$/, '').split('/');
  if (fileName.startsWith('/') || /^[A-Za-z]:/.test(fileName)) {
    throw packageInvalid(`the absolute path ${fileName} is refused: paths must be relative`);
  }
  if (parts.some((p) => p === '..')) throw packageInvalid(`the path ${fileName} leaves the package (zip-slip) and is refused`);
  if (parts.some((p) => p === '' || p === '.' || p.includes('\0'))) throw packageInvalid(`the path ${JSON.stringify(fileName)} is not a clean relative path`);
}

function checkLink(name: string, target: string): void {
  const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(name), target));
  if (target.startsWith('/') || resolved === '..' || resolved.startsWith('../') || target.includes('\0')) {
    throw packageInvalid(`the symlink ${name} points out of the package (to ${target}) and is refused`);
  }
}

function readEntry(zip: yauzl.ZipFile, entry: yauzl.Entry, name: string, room: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    zip.openReadStream(entry, (err, stream) => {
      if (err || !stream) return reject(packageInvalid(`${name} cannot be read (${err?.message ?? 'no data'})`));
      const chunks: Buffer[] = [];
      let n = 0;
      stream.on('data', (c: Buffer) => {
        n += c.length;
        if (n > room) {
          stream.destroy();
          return reject(packageInvalid(`zip bomb: ${name} holds more data than the ${room} bytes left under the unpacked limit`));
        }
        chunks.push(c);
      });
      stream.on('error', (e: Error) => reject(packageInvalid(/too many bytes|too few bytes/i.test(e.message)
        ? `zip bomb: ${name}'s data does not match its declared size (${e.message})`
        : `${name} is corrupt (${e.message})`)));
      stream.on('end', () => resolve(Buffer.concat(chunks)));
    });
  });
}
