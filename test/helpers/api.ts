import type Koa from 'koa';
import { createApi } from '../../src/api/app';
import { createMetrics } from '../../src/api/metrics';
import { loadConfig, Config } from '../../src/config/config';
import type { Db } from '../../src/store/db';
import { buildAuth, buildServices } from '../../src/main';

/** A test configuration: built-in defaults plus `env`-style overrides (FRESCO_* names). */
export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig(undefined, env).config;
}

/** The real Koa API on `db`, as main.ts wires it, for supertest(app.callback()). */
export function buildTestApi(db: Db, config: Config = testConfig()): Koa {
  return createApi({
    ...buildServices(db, config), ...buildAuth(config), maxBodySize: config.DEFAULT.max_body_size,
    publicUrl: config.DEFAULT.public_url, version: 'test', metrics: createMetrics(),
    checkHealth: async () => { await db.raw('select 1'); },
  });
}
