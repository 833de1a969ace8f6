import type { Identity } from '../domain/identity';

/** What the middleware chain leaves on ctx.state for the handlers. */
export interface FrescoState {
  requestId: string;
  identity?: Identity;
}

/** A guard that checks `action` on the project named in the path, for the handlers of one resource. */
export function guard(authorizer: { authorize(i: Identity | undefined, a: string, p: string): void }) {
  return (ctx: { state: FrescoState; params: Record<string, string> }, action: string): void =>
    authorizer.authorize(ctx.state.identity, action, ctx.params.project_id);
}
