import type Koa from 'koa';
import request from 'supertest';
import { loadConfig, Config } from '../../src/config/config';
import type { Identity } from '../../src/domain/identity';
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

/** One tester's requests: each carries X-Test-Who, which names the identity the API sees. */
export interface TestCaller {
  get(url: string): request.Test;
  post(url: string): request.Test;
  put(url: string): request.Test;
  delete(url: string): request.Test;
}

/**
 * The real Koa API on `db`, as main.ts wires it, with Keystone replaced by a table: a request's
 * X-Test-Who header names its identity in `identities` (policy still decides what it may do).
 */
export function buildIdentityApi(db: Db, identities: Record<string, Identity>, adapters: Adapters = {}, config: Config = testConfig()):
  { app: Koa; services: Services; as: (who: string) => TestCaller } {
  const services = buildServices(db, config, adapters);
  const app = buildApi(config, services, async () => undefined, 0, {
    authorizer: services.authorizer,
    authenticate: async (ctx, next) => {
      ctx.state.identity = identities[String(ctx.get('X-Test-Who'))];
      await next();
    },
  });
  const as = (who: string): TestCaller => {
    const agent = request(app.callback());
    const wrap = (m: 'get' | 'post' | 'put' | 'delete') => (url: string) => agent[m](url).set('X-Test-Who', who);
    return { get: wrap('get'), post: wrap('post'), put: wrap('put'), delete: wrap('delete') };
  };
  return { app, services, as };
}
