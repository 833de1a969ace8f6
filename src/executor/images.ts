// Images on this engine: pulled on first use with one pull per image however many calls wait
// (single flight), their facts cached so the hot path never asks Docker, and unused ones
// removed least-recently-used first once the images Fresco used exceed the disk budget.
import { log } from '../log';
import type { ImageInfo } from './docker/driver';
import { imagePullFailed } from './errors';
import type { RegistryAuth } from './options';

/** The Docker operations ImageManager uses (a fake in unit tests). */
export interface ImageDriver {
  inspectImage(ref: string): Promise<ImageInfo | undefined>;
  pullImage(ref: string, auth?: RegistryAuth): Promise<void>;
  removeImage(ref: string): Promise<boolean>;
}

interface Known {
  info: ImageInfo;
  lastUsed: number;
  users: number;
}

/** Local images of the routes this engine runs. */
export class ImageManager {
  private readonly known = new Map<string, Known>();
  private readonly pulls = new Map<string, Promise<ImageInfo>>();
  private clock = 0;
  /** How many pulls were started (tests check single flight with it). */
  pullCount = 0;

  constructor(
    private readonly driver: ImageDriver,
    private readonly opts: { diskBudgetBytes: number; registryAuth?: RegistryAuth },
  ) {}

  /** The image's facts, pulling it first if needed; marks it in use until release(). Throws FrescoError. */
  async acquire(ref: string): Promise<ImageInfo> {
    let k = this.known.get(ref);
    if (!k) {
      const info = await this.resolve(ref);
      k = this.known.get(ref) ?? { info, lastUsed: 0, users: 0 };
      this.known.set(ref, k);
      void this.evict(ref);
    }
    k.users++;
    k.lastUsed = ++this.clock;
    return k.info;
  }

  /** Ends one use of `ref` begun by acquire(). */
  release(ref: string): void {
    const k = this.known.get(ref);
    if (k && k.users > 0) k.users--;
  }

  /** Forgets what is cached about `ref` (Docker said it is gone). */
  forget(ref: string): void {
    this.known.delete(ref);
  }

  private resolve(ref: string): Promise<ImageInfo> {
    let p = this.pulls.get(ref);
    if (!p) {
      p = this.inspectOrPull(ref).finally(() => this.pulls.delete(ref));
      this.pulls.set(ref, p);
    }
    return p;
  }

  private async inspectOrPull(ref: string): Promise<ImageInfo> {
    const local = await this.driver.inspectImage(ref);
    if (local) return local;
    this.pullCount++;
    const started = Date.now();
    try {
      await this.driver.pullImage(ref, this.opts.registryAuth);
    } catch (err) {
      throw pullError(ref, err);
    }
    log.info({ image: ref, ms: Date.now() - started }, 'image pulled');
    const info = await this.driver.inspectImage(ref);
    if (!info) throw imagePullFailed(ref, 'absent after pull');
    return info;
  }

  private async evict(justUsed: string): Promise<void> {
    const sizes = new Map<string, number>();
    for (const k of this.known.values()) sizes.set(k.info.id, k.info.size);
    let total = [...sizes.values()].reduce((a, b) => a + b, 0);
    const idle = [...this.known.entries()]
      .filter(([ref, k]) => k.users === 0 && ref !== justUsed)
      .sort((a, b) => a[1].lastUsed - b[1].lastUsed);
    for (const [ref, k] of idle) {
      if (total <= this.opts.diskBudgetBytes) break;
      this.known.delete(ref);
      if (await this.driver.removeImage(ref)) {
        total -= k.info.size;
        log.info({ image: ref, bytes: k.info.size }, 'image evicted (disk budget)');
      }
    }
  }
}

function pullError(ref: string, err: unknown) {
  const e = err as { statusCode?: number; message?: string };
  const msg = (e.message ?? String(err)).replace(/\s+/g, ' ').slice(0, 300);
  return imagePullFailed(ref, msg);
}
