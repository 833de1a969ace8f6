// Who is calling: set on ctx.state.identity by the auth middleware (noauth or keystone).

export interface Identity {
  /** The project the caller's token is scoped to. */
  projectId: string;
  userId?: string;
  userName?: string;
  /** Role names, lower case, as Keystone expanded them (admin implies member implies reader). */
  roles: string[];
  /** True when auth_strategy = noauth (every caller is trusted for the project it names). */
  noauth?: boolean;
}

/** Decides whether `identity` may do `action` on `projectId`'s resources; throws ForbiddenError. */
export interface Authorizer {
  authorize(identity: Identity | undefined, action: string, projectId: string): void;
}
