// Runtime containers started ahead of any function (docs/runtimes.md, "Waiting runtime
// containers"), OpenWhisk /init style: per runtime image, `[runtimes] prestart_per_runtime`
// containers run the runtime's server with no code yet, each with an empty host directory of its
// own mounted read-only at /code. A code route's hot pool, needing a container, takes one instead
// of starting one: the engine fills that directory with the route's unpacked package (hard links,
// so no other container sees it) and writes the fresco_init line (the route's environment); the
// runtime sets it and imports the code only then. From there the container is the route's, like
// one started for it (never given back); the waiting set is refilled in the background, within
// the engine's max_containers and max_memory. Only images labelled io.fresco.runtime.init=1 (the
// runtimes/build.sh ones) are kept waiting, and only routes a waiting container fits use them
// (memory, network, root, no variables an interpreter reads at its start); the rest start their
// own container with the code mounted, as before.
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { RunnableRoute } from '../domain/executor';
import { log } from '../log';
import { configEnv, envName, routeEnv } from './env';
import { HotContainer } from './hot-container';
import { jsonProtocol } from './protocol/json';
import type { RunDeps } from './run-deps';

/** The image label of runtimes that take their code after they start. */
export const INIT_LABEL = 'io.fresco.runtime.init';
/** The label naming a waiting (or specialised) runtime container's image. */
export const RUNTIME_LABEL = 'io.fresco.runtime.image';

// Variables an interpreter or libc reads once at its start: setting them after it (fresco_init)
// would not act as in a container started with them, so a route whose config sets one starts its own.
const STARTUP_ONLY = /^(NODE_|PYTHON|LD_|LC_|LANG$|LANGUAGE$|MALLOC_|GLIBC_|UV_)/;

/** Milliseconds after a specialisation by which the next container starts to wait, first call or not. */
const REFILL_MS = 2000;

/** Milliseconds between attempts when a start failed, a waiting container died or the engine had no room. */
const RETRY_MS = 2000;

interface Waiting {
  c: HotContainer;
  dir: string;
}

interface RuntimeEntry {
  image: string;
  ready: Waiting[];
  starting: number;
  /** The image does not carry INIT_LABEL: nothing is kept waiting for it. */
  unsupported: boolean;
  retry?: NodeJS.Timeout;
}

class NoInitSupport extends Error {}

/** Waiting runtime containers, per runtime image. */
export class RuntimePool {
  private readonly runtimes = new Map<string, RuntimeEntry>();
  private stopped = false;

  /** `room(mb)`: whether the engine may start one more container of `mb` MiB now. */
  constructor(private readonly deps: RunDeps, private readonly room: (memoryMb: number) => boolean) {}

  /** Keeps containers waiting for exactly these runtime images (the registered runtimes'); the others' go. */
  setImages(images: string[]): void {
    if (this.stopped) return;
    const want = new Set(images);
    for (const [image, e] of this.runtimes) {
      if (want.has(image)) continue;
      this.runtimes.delete(image);
      this.drop(e);
    }
    for (const image of want) this.add(image);
  }

  /** Keeps containers waiting for `image` too (a code route of it ran here). */
  add(image: string): void {
    if (this.stopped || this.deps.options.runtimePrestart.perRuntime === 0 || this.runtimes.has(image)) return;
    const e: RuntimeEntry = { image, ready: [], starting: 0, unsupported: false };
    this.runtimes.set(image, e);
    this.refill(e);
  }

  /** Waiting containers that are up, per image (for tests and metrics). */
  ready(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [image, e] of this.runtimes) out[image] = e.ready.length;
    return out;
  }

  /** Waiting containers, up or starting. */
  size(): number {
    let n = 0;
    for (const e of this.runtimes.values()) n += e.ready.length + e.starting;
    return n;
  }

  /** MiB of memory the waiting containers may use. */
  memoryMb(): number {
    return this.size() * this.deps.options.runtimePrestart.memoryMb;
  }

  /** A waiting container of the route's runtime, given the route's code and environment and
   *  reporting its death to `onDeath` from now on; undefined when none fits (the caller starts
   *  one). Never throws. */
  async specialise(route: RunnableRoute, onDeath: (c: HotContainer) => void): Promise<HotContainer | undefined> {
    const e = this.runtimes.get(route.image);
    if (!e || !this.fits(route)) return undefined;
    let w = e.ready.shift();
    while (w?.c.dead) w = e.ready.shift();
    if (!w) {
      this.refill(e);
      return undefined;
    }
    // The next one starts once this function's first call is answered (or after REFILL_MS without
    // one): a container start beside that call would take the CPU it needs.
    let refilled = false;
    const refill = () => {
      if (refilled) return;
      refilled = true;
      clearTimeout(timer);
      this.refill(e);
    };
    const timer = setTimeout(refill, REFILL_MS);
    timer.unref();
    try {
      await linkTree(route.code!.hostDir!, w.dir);
    } catch (err) {
      log.warn({ err, image: route.image, path: route.path }, 'placing a function\'s code in a waiting runtime container failed');
      w.c.destroy();
      refill();
      return undefined;
    }
    if (w.c.dead) {
      refill();
      return undefined;
    }
    w.c.specialise(onDeath, initLine(route), refill);
    return w.c;
  }

  /** Removes every waiting container; nothing is kept waiting afterwards. */
  stop(): void {
    this.stopped = true;
    for (const e of this.runtimes.values()) this.drop(e);
    this.runtimes.clear();
  }

  // Same memory, network and user as the waiting containers, and no variable that acts only at start.
  private fits(route: RunnableRoute): boolean {
    const o = this.deps.options;
    return Boolean(route.code?.hostDir) && route.format === 'json' && route.memory === o.runtimePrestart.memoryMb
      && !route.allowRoot && (route.network ?? o.defaultNetwork) === o.defaultNetwork
      && !Object.keys(route.config).some((k) => STARTUP_ONLY.test(envName(k)));
  }

  private refill(e: RuntimeEntry): void {
    const o = this.deps.options.runtimePrestart;
    while (this.current(e) && !e.unsupported && !e.retry && e.ready.length + e.starting < o.perRuntime) {
      if (!this.room(o.memoryMb)) return this.retryLater(e);
      e.starting++;
      // Registered with the reaper so that stop() waits for starts still under way.
      this.deps.reaper.add(this.startOne(e).then((w) => {
        e.starting--;
        if (this.current(e)) e.ready.push(w);
        else w.c.destroy();
      }, (err) => {
        e.starting--;
        if (err instanceof NoInitSupport) {
          e.unsupported = true;
          log.info({ image: e.image }, `runtime image has no ${INIT_LABEL}=1 label: its functions start their own containers`);
          return;
        }
        log.warn({ err, image: e.image }, 'starting a waiting runtime container failed');
        this.retryLater(e);
      }));
    }
  }

  private current(e: RuntimeEntry): boolean {
    return !this.stopped && this.runtimes.get(e.image) === e;
  }

  private retryLater(e: RuntimeEntry): void {
    if (e.retry || !this.current(e)) return;
    e.retry = setTimeout(() => {
      e.retry = undefined;
      this.refill(e);
    }, RETRY_MS);
    e.retry.unref();
  }

  private async startOne(e: RuntimeEntry): Promise<Waiting> {
    const o = this.deps.options;
    const dir = path.join(o.runDir, `code-${randomBytes(6).toString('hex')}`);
    const route = waitingRoute(e.image, o.runtimePrestart.memoryMb);
    const c = await this.deps.images.withImage(e.image, async (info) => {
      if (info.labels?.[INIT_LABEL] !== '1') throw new NoInitSupport();
      await fs.mkdir(dir, { mode: 0o755 });
      await fs.chmod(dir, 0o755);
      try {
        return await HotContainer.launch(this.deps, route, info.argv, jsonProtocol,
          (dead) => this.forget(e, dead), { env: [], labels: { [RUNTIME_LABEL]: e.image }, codeDir: dir });
      } catch (err) {
        await fs.rm(dir, { recursive: true, force: true });
        throw err;
      }
    });
    // From here the container holds the image until its death (forget); a failed probe destroys it.
    await this.probe(c, route);
    return { c, dir };
  }

  // The launcher connects before the runtime's interpreter has even started: a container only
  // waits once its runtime answers, so that a function given it pays no interpreter start. A
  // runtime with no code yet answers any call with a fresco_error (docs/runtimes.md).
  private async probe(c: HotContainer, route: RunnableRoute): Promise<void> {
    const ms = this.deps.options.hotStartTimeout * 1000;
    let timer: NodeJS.Timeout | undefined;
    const answered = c.call({ id: 'fresco-ready-probe', method: 'GET', url: '/', requestPath: '/', headers: {}, body: Buffer.alloc(0), route });
    const late = new Promise<undefined>((resolve) => { timer = setTimeout(resolve, ms, undefined); });
    const out = await Promise.race([answered, late]).finally(() => clearTimeout(timer));
    if (!out || c.dead || !out.httpStatus) {
      c.destroy();
      throw new Error(out ? `the runtime did not answer as one waiting for code: ${out.error ?? out.status}`
        : `the runtime did not answer within ${ms / 1000} s`);
    }
    await new Promise<void>((resolve) => c.whenFree(resolve));
    if (c.dead) throw new Error('the runtime container died after it answered');
  }

  // A waiting container died or was discarded (still ours: specialise() hands its death over).
  private forget(e: RuntimeEntry, c: HotContainer): void {
    const i = e.ready.findIndex((w) => w.c === c);
    if (i >= 0) e.ready.splice(i, 1);
    this.deps.images.release(e.image);
    // Died on its own (killed from outside, or the runtime broke): not in a tight loop.
    if (i >= 0) this.retryLater(e);
  }

  private drop(e: RuntimeEntry): void {
    clearTimeout(e.retry);
    e.retry = undefined;
    for (const w of e.ready.splice(0)) w.c.destroy();
  }
}

/** The route a waiting container is started as: the runtime's image, no code, no environment. */
function waitingRoute(image: string, memory: number): RunnableRoute {
  return { projectId: '', appName: '', path: '', image, format: 'json', memory, timeout: 0, idleTimeout: 0, maxConcurrency: 1, config: {} };
}

/** The fresco_init line: the environment a container started for `route` would have had. */
export function initLine(route: RunnableRoute): Buffer {
  const env: Record<string, string> = {};
  for (const kv of [...routeEnv(route), ...configEnv(route)]) {
    if (kv.includes('\0')) continue;
    const eq = kv.indexOf('=');
    env[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return Buffer.from(JSON.stringify({ fresco_init: { env } }) + '\n', 'utf8');
}

// `src`'s tree into the empty `dst`: files hard-linked (copied across file systems), directories
// with their modes, symlinks as they are (the package was checked not to point out of its tree).
async function linkTree(src: string, dst: string): Promise<void> {
  const entries = await fs.readdir(src, { withFileTypes: true });
  await Promise.all(entries.map(async (ent) => {
    const from = path.join(src, ent.name);
    const to = path.join(dst, ent.name);
    if (ent.isDirectory()) {
      await fs.mkdir(to);
      await fs.chmod(to, (await fs.stat(from)).mode & 0o7777);
      await linkTree(from, to);
    } else if (ent.isSymbolicLink()) {
      await fs.symlink(await fs.readlink(from), to);
    } else if (ent.isFile()) {
      await fs.link(from, to).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'EXDEV' && err.code !== 'EPERM') throw err;
        return fs.copyFile(from, to);
      });
    }
  }));
}
