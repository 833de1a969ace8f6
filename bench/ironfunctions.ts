// Optional side-by-side with IronFunctions 0.2.72 (the hot path Fresco must beat), measured in
// the same run as Fresco: IRONFUNCTIONS_URL names one already running (its API on loopback), or
// IRONFUNCTIONS_BIN a `functions` binary the bench starts on a free loopback port with bolt
// files in a temporary directory (stock 0.2.72 listens on every interface: prefer the URL).
// IRONFUNCTIONS_IMAGE is the hot function both run (IronFunctions' `http` format; it must be
// on this Docker host: IronFunctions would otherwise pull it); default the C hot-http test image.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { HOT_HTTP } from './fresco';

/** A reachable IronFunctions with the bench's two hot routes. */
export interface IronFunctions {
  /** /r URLs of the hot route with max_concurrency 1 and 4. */
  hot1: string;
  hot4: string;
  image: string;
  description: string;
  stop(): Promise<void>;
}

const APP = 'fresco-bench';

/** The IronFunctions the environment names, started if needed, with its routes; undefined when none is named. */
export async function ironFunctionsFromEnv(): Promise<IronFunctions | undefined> {
  const image = process.env.IRONFUNCTIONS_IMAGE ?? HOT_HTTP;
  let base = process.env.IRONFUNCTIONS_URL?.replace(/\/+$/, '');
  let child: ChildProcess | undefined;
  let dir: string | undefined;
  if (!base && process.env.IRONFUNCTIONS_BIN) {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-ifn-'));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    child = spawn(process.env.IRONFUNCTIONS_BIN, [], {
      cwd: dir, stdio: 'ignore',
      env: {
        ...process.env, PORT: String(port), API_URL: base, LOG_LEVEL: 'warn',
        DB_URL: `bolt://${dir}/bolt.db?bucket=funcs`, MQ_URL: `bolt://${dir}/worker_mq.db`,
      },
    });
    await waitUp(base);
  }
  if (!base) return undefined;
  const version = await (await fetch(`${base}/version`)).text();
  for (const [p, mc] of [['/hot1', 1], ['/hot4', 4]] as const) {
    const res = await fetch(`${base}/v1/apps/${APP}/routes`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ route: { path: p, image, format: 'http', max_concurrency: mc, timeout: 30, idle_timeout: 300 } }),
    });
    if (!res.ok && res.status !== 409) throw new Error(`IronFunctions: creating route ${p}: HTTP ${res.status} ${await res.text()}`);
  }
  return {
    hot1: `${base}/r/${APP}/hot1`, hot4: `${base}/r/${APP}/hot4`, image,
    description: `IronFunctions ${version.trim()} at ${base}${child ? ` (started from ${process.env.IRONFUNCTIONS_BIN})` : ''}`,
    stop: async () => {
      if (child) {
        child.kill('SIGINT'); // IronFunctions shuts down (and removes its hot containers) on SIGINT only
        await new Promise((r) => child!.once('exit', r));
      }
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

async function waitUp(base: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      if ((await fetch(`${base}/version`)).ok) return;
    } catch {
      if (Date.now() > deadline) throw new Error(`IronFunctions did not answer at ${base} within 15 s`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
