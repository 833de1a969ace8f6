// An engine's part in the cluster: serve the call hop, announce itself in the membership and
// keep the announcement fresh; on stop, drain (announce `draining`, refuse new calls, finish the
// running ones) and leave.
import os from 'node:os';
import type { Config } from '../config/config';
import type { Executor, RunnableRoute } from '../domain/executor';
import type { Lifecycle } from '../lifecycle';
import { log } from '../log';
import { HopServer } from './hop-server';
import { EngineMembership } from './membership';
import { routeKey } from './placement';
import type { EngineStore } from './types';

/** What an executor tells about its load (the Docker executor's load()). */
export interface LoadSource {
  load(): { containers: number; memoryMb: number; memoryBudgetMb: number; hot: number; hotRoutes: RunnableRoute[] };
}

const MAX_HOT_ROUTES_ANNOUNCED = 500;

/** The URL API processes reach a hop bound at `host:port` by, unless advertise_url says. */
export function advertisedUrl(cluster: Config['cluster'], host: string, port: number): string {
  if (cluster.advertise_url) return cluster.advertise_url;
  const h = host === '0.0.0.0' || host === '::' ? os.hostname() : host.includes(':') ? `[${host}]` : host;
  return `http://${h}:${port}`;
}

/** How long a dead engine's row is kept: [cluster] forget_after, at least twice engine_timeout. */
export function forgetAfterMs(c: Config['cluster']): number {
  return Math.max(c.forget_after, 2 * c.engine_timeout) * 1000;
}

/** Serves the hop and joins the membership; registers the drain-and-leave closer with `life`. */
export async function joinCluster(o: {
  config: Config; executor: Executor & Partial<LoadSource>; store: EngineStore; engineId: string; life: Lifecycle;
}): Promise<{ url: string }> {
  const c = o.config.cluster;
  const hop = new HopServer(o.executor, {
    secret: c.secret!, host: c.bind_host, port: c.bind_port, callSlots: c.call_slots,
    maxFrameBytes: o.config.DEFAULT.max_body_size + 1024 * 1024,
  });
  const addr = await hop.listen();
  const url = advertisedUrl(c, addr.host, addr.port);
  const budget = o.executor.load?.().memoryBudgetMb ?? 0;
  const membership = new EngineMembership(o.store, {
    id: o.engineId, host: os.hostname(), url, memoryBudgetMb: budget, callSlots: c.call_slots, startedAt: new Date(),
  }, () => {
    const l = o.executor.load?.();
    return {
      runningCalls: hop.runningCalls(), memoryUsedMb: l?.memoryMb ?? 0, hotContainers: l?.hot ?? 0,
      hotRoutes: (l?.hotRoutes ?? []).slice(0, MAX_HOT_ROUTES_ANNOUNCED).map(routeKey),
    };
  }, c.heartbeat_interval * 1000, forgetAfterMs(c));
  o.life.add('call hop', hop, async (h) => {
    await membership.drain();
    log.info({ running: h.runningCalls() }, 'engine draining: no new calls, finishing the running ones');
    await h.drain();
    await membership.leave();
  });
  await membership.start();
  log.info({ engine: o.engineId, host: addr.host, port: addr.port, url }, 'engine call hop listening');
  return { url };
}
