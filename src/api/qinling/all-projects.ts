import type { Context } from 'koa';
import type { Authorizer } from '../../domain/identity';
import type { FrescoState } from '../context';

/** Qinling's `?all_projects=true` (any of true/1/yes): admins only (FRESCO_POLICY_FORBIDDEN otherwise). */
export function allProjects(ctx: Context, authorizer: Authorizer): boolean {
  const raw = ctx.query.all_projects;
  const v = String(Array.isArray(raw) ? raw[raw.length - 1] : raw ?? '').toLowerCase();
  if (!['true', '1', 'yes'].includes(v)) return false;
  const state = ctx.state as FrescoState;
  authorizer.authorize(state.identity, 'fresco:all_projects', state.identity?.projectId ?? '');
  return true;
}
