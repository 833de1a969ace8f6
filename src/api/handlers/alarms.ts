import Router from '@koa/router';
import type { Middleware } from 'koa';
import { tokenOf } from '../../auth/credential-headers';
import type { EventService } from '../../services/event-service';
import type { FrescoState } from '../context';
import { readBody } from './runs';

/** POST /alarms/{trigger_id}/{secret}: Aodh's alarm action; a Keystone token (trust+http) is honoured when sent. */
export function alarmRoutes(router: Router<FrescoState>,
  deps: { events: EventService; authenticate: Middleware; maxBodySize: number }): void {
  const tokenIfSent: Middleware = (ctx, next) => (tokenOf((name) => ctx.get(name)) ? deps.authenticate(ctx, next) : next());
  router.post('/alarms/:trigger_id/:secret', tokenIfSent, async (ctx) => {
    const body = await readBody(ctx, deps.maxBodySize);
    const call = await deps.events.handleAlarm(ctx.params.trigger_id, ctx.params.secret, body, ctx.state.identity);
    ctx.status = 202;
    ctx.set('X-Fresco-Call-Id', call.id);
    ctx.body = { call_id: call.id, message: 'Alarm accepted' };
  });
}
