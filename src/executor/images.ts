// Images on this engine: pulled on first use with one pull per image however many calls wait
// (single flight), their facts cached so the hot path never asks Docker (an image removed from
// the host behind Fresco's back is noticed when a container cannot be created, and pulled again
// the same way), and unused ones
// removed least-recently-used first once the images Fresco pulled exceed the disk budget (images
// that were already on the host, e.g. loaded by the operator, are never removed nor counted).
import { log } from '../log';
import { ImageGoneError, ImageInfo } from './docker/driver';
import { dockerFailed, imagePullFailed } from './errors';
import type { RegistryAuth } from './options';
import type { RegistryPolicy } from '../domain/registry-policy';
import { authFor } from './registry-auth';

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
  /** Docker said the image is gone: look (and pull) again before the next use. */
  stale?: boolean;
}

/** Local images of the routes this engine runs. */
export class ImageManager {
  private readonly known = new Map<string, Known>();
  private readonly pulls = new Map<string, Promise<ImageInfo>>();
  /** Images this engine pulled: the only ones counted against the budget and evicted. */
  private readonly pulled = new Set<string>();
  /** Evictions under way: an acquire of the same image waits for them, then pulls it again. */
  private readonly removing = new Map<string, Promise<boolean>>();
  private clock = 0;
  /** How many pulls were started. */
  pullCount = 0;

  constructor(
    private readonly driver: ImageDriver,
    private readonly opts: { diskBudgetBytes: number; registryAuth?: RegistryAuth; registries?: RegistryPolicy },
  ) {}

  /** The image's facts, pulling it first if needed; marks it in use until release(). Throws FrescoError. */
  async acquire(ref: string): Promise<ImageInfo> {
    let k = this.known.get(ref);
    if (!k || k.stale) {
      const info = await this.resolve(ref);
      k = this.known.get(ref) ?? { info, lastUsed: 0, users: 0 };
      k.info = info;
      k.stale = false;
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

  /** Acquires `ref` and returns what `use` makes of its facts; the image stays acquired until
   *  release(), unless `use` throws. When `use` finds that Docker no longer has the image
   *  (ImageGoneError: an operator removed it), pulls it again (single flight) and tries once more.
   *  Throws FrescoError (FRESCO_IMAGE_PULL_FAILED naming the image) or what `use` throws. */
  async withImage<T>(ref: string, use: (info: ImageInfo) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const info = await this.acquire(ref);
      try {
        return await use(info);
      } catch (err) {
        this.release(ref);
        if (!(err instanceof ImageGoneError)) throw err;
        if (attempt > 1) throw dockerFailed('create a container', err);
        log.warn({ image: ref }, 'image gone from Docker; pulling it again');
        this.forget(ref);
      }
    }
  }

  // Docker said the image is gone: the next acquire looks again, pulling it if need be.
  private forget(ref: string): void {
    const k = this.known.get(ref);
    if (k) k.stale = true;
  }

  private resolve(ref: string): Promise<ImageInfo> {
    let p = this.pulls.get(ref);
    if (!p) {
      const removal = this.removing.get(ref);
      p = (removal ? removal.then(() => this.inspectOrPull(ref)) : this.inspectOrPull(ref))
        .finally(() => this.pulls.delete(ref));
      this.pulls.set(ref, p);
    }
    return p;
  }

  private async inspectOrPull(ref: string): Promise<ImageInfo> {
    const local = await this.driver.inspectImage(ref);
    if (local) return local;
    // An image already on the host needs no registry; only a pull can reach one.
    const refusal = this.opts.registries?.refusal(ref);
    if (refusal) {
      log.warn({ image: ref, refusal }, 'pull refused');
      throw imagePullFailed(ref, refusal);
    }
    this.pullCount++;
    const started = Date.now();
    try {
      await this.driver.pullImage(ref, authFor(ref, this.opts.registryAuth));
    } catch (err) {
      throw pullError(ref, err);
    }
    this.pulled.add(ref);
    log.info({ image: ref, ms: Date.now() - started }, 'image pulled');
    const info = await this.driver.inspectImage(ref);
    if (!info) throw imagePullFailed(ref, 'absent after pull');
    return info;
  }

  private async evict(justUsed: string): Promise<void> {
    const mine = [...this.known.entries()].filter(([ref]) => this.pulled.has(ref));
    const sizes = new Map<string, number>();
    for (const [, k] of mine) sizes.set(k.info.id, k.info.size);
    let total = [...sizes.values()].reduce((a, b) => a + b, 0);
    const idle = mine
      .filter(([ref, k]) => k.users === 0 && ref !== justUsed)
      .sort((a, b) => a[1].lastUsed - b[1].lastUsed);
    for (const [ref, k] of idle) {
      if (total <= this.opts.diskBudgetBytes) break;
      this.known.delete(ref);
      const removal = this.driver.removeImage(ref).catch(() => false);
      this.removing.set(ref, removal);
      const removed = await removal.finally(() => this.removing.delete(ref));
      if (removed) {
        this.pulled.delete(ref);
        total -= k.info.size;
        log.info({ image: ref, bytes: k.info.size }, 'image evicted (disk budget)');
      }
    }
  }
}

// A generic reason from a fixed list: Docker's message quotes what the registry answered, which
// may be an internal service's reply, so it goes to the log only.
const REASONS: [RegExp, string][] = [
  [/no basic auth credentials/i, 'the registry refused access (no basic auth credentials)'],
  [/unauthorized|authentication required|denied/i, 'the registry refused access (unauthorized)'],
  [/manifest unknown|not found|does not exist|name unknown/i, 'the image was not found in its registry'],
  [/connection refused|no such host|timeout|i\/o timeout|network is unreachable|EOF|tls|certificate|server gave HTTP response/i,
    'the registry could not be reached'],
];

function pullError(ref: string, err: unknown) {
  const detail = (err as { message?: string }).message ?? String(err);
  log.warn({ image: ref, detail }, 'image pull failed');
  const reason = REASONS.find(([re]) => re.test(detail))?.[1] ?? 'the registry did not deliver the image (details in the engine log)';
  return imagePullFailed(ref, reason);
}
