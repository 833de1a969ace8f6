// What operators see of the cluster (GET /v1/engines, `openstack fn engine list`).
import type { EngineRecord, EngineStore } from './types';

/** An engine as listed: its announcement, `down` when it stopped renewing it. */
export interface EngineStatus extends Omit<EngineRecord, 'state'> {
  state: EngineRecord['state'] | 'down';
}

/** Lists the engines of the membership. */
export class ClusterService {
  constructor(private readonly deps: { engines: Pick<EngineStore, 'list' | 'live'>; timeoutMs: number }) {}

  /** Every engine row, ordered by id; those not renewed within engine_timeout are `down`. */
  async list(): Promise<EngineStatus[]> {
    const [all, live] = await Promise.all([this.deps.engines.list(), this.deps.engines.live(this.deps.timeoutMs)]);
    const up = new Set(live.map((e) => e.id));
    return all.map((e) => ({ ...e, state: up.has(e.id) ? e.state : 'down' }));
  }
}
