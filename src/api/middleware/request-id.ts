import { randomUUID } from 'node:crypto';
import type { Middleware } from 'koa';

/** Gives every request an OpenStack request id (ctx.state.requestId) and answers it in X-Openstack-Request-Id. */
export function requestId(): Middleware {
  return async (ctx, next) => {
    const id = `req-${randomUUID()}`;
    ctx.state.requestId = id;
    ctx.set('X-Openstack-Request-Id', id);
    await next();
  };
}
