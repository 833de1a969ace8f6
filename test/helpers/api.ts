import type Koa from 'koa';
import { loadConfig, Config } from '../../src/config/config';
import type { Db } from '../../src/store/db';
import { Adapters, buildApi, buildServices, Services } from '../../src/main';

/** A test configuration: built-in defaults plus `env`-style overrides (FRESCO_* names). */
export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig(undefined, env).config;
}

/** The real Koa API on `db`, as main.ts wires it, for supertest(app.callback()). */
export function buildTestApi(db: Db, config: Config = testConfig(), adapters: Adapters = {}): Koa & { services: Services } {
  const services = buildServices(db, config, adapters);
  const app = buildApi(config, services, async () => { await db.raw('select 1'); });
  return Object.assign(app, { services });
}
