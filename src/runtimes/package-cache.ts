// Each engine's copy of code packages, unpacked by digest under one directory and mounted
// read-only into runtime containers (docs/runtimes.md). Packages come from the PackageStore,
// verified against their digest, and are checked again as they unpack. Past the disk budget the
// least recently used are removed. Each unpack gets a directory of its own name, so that a package
// unpacked again after its eviction is a new mount: the route's old containers are then retired
// (the executor's version key holds the directory) instead of running on removed files.
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { LRUCache } from 'lru-cache';
import type { RunnableCode } from '../domain/executor';
import { packageCorrupt } from '../errors';
import { log } from '../log';
import { PackageLimits, unpack } from './archive';
import type { PackageStore } from './model';

/** Unpacked packages on this engine's disk. */
export class PackageCache {
  private readonly lru: LRUCache<string, { size: number; dir: string }>;
  private readonly unpacking = new Map<string, Promise<string>>();
  private ready?: Promise<void>;

  constructor(private readonly deps: {
    packages: Pick<PackageStore, 'get'>; dir: string; budgetBytes: number; limits: PackageLimits;
  }) {
    this.lru = new LRUCache<string, { size: number; dir: string }>({
      maxSize: deps.budgetBytes,
      sizeCalculation: (v) => Math.max(1, Math.min(v.size, deps.budgetBytes)),
      dispose: (v, key) => void fs.rm(v.dir, { recursive: true, force: true })
        .catch((err) => log.warn({ err, key }, 'removing an evicted code package failed')),
    });
  }

  /** The host directory holding `code` (of a route of `projectId`) unpacked; fetches and unpacks it
   *  on first use. Throws FRESCO_PACKAGE_CORRUPT when the stored bytes do not match the digest or
   *  are gone, FRESCO_PACKAGE_STORE_UNAVAILABLE when the store cannot be reached. */
  async dirFor(code: RunnableCode, projectId: string): Promise<string> {
    const key = code.file ? `${code.digest}-${code.file}` : code.digest;
    const hit = this.lru.get(key);
    if (hit) return hit.dir;
    let pending = this.unpacking.get(key);
    if (!pending) {
      pending = this.fetch(key, code, projectId).finally(() => this.unpacking.delete(key));
      this.unpacking.set(key, pending);
    }
    return pending;
  }

  // The directory is this engine's: what an earlier run left is unknown to the LRU, so it goes.
  private start(): Promise<void> {
    this.ready ??= (async () => {
      await fs.rm(this.deps.dir, { recursive: true, force: true });
      await fs.mkdir(this.deps.dir, { recursive: true, mode: 0o755 });
    })();
    return this.ready;
  }

  private async fetch(key: string, code: RunnableCode, projectId: string): Promise<string> {
    await this.start();
    const content = await this.deps.packages.get(projectId, code.digest);
    if (!content) throw packageCorrupt(code.digest);
    const tmp = path.join(this.deps.dir, `.tmp-${randomBytes(6).toString('hex')}`);
    const dir = path.join(this.deps.dir, `${key}.${randomBytes(4).toString('hex')}`);
    try {
      const size = await unpack(content, code.file, tmp, this.deps.limits);
      await fs.chmod(tmp, 0o755);
      await fs.rename(tmp, dir);
      this.lru.set(key, { size, dir });
    } catch (err) {
      await fs.rm(tmp, { recursive: true, force: true });
      throw err;
    }
    return dir;
  }
}
