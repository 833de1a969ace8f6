import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { routeAliasExists, routeAliasInUse, routeVersionInUse } from '../errors';
import type { Route } from '../domain/models';
import type { FrozenRoute, RouteAlias, RouteVersion, RouteVersionStore } from '../domain/versions';
import { Db } from './db';
import { isUniqueViolation } from './pg-errors';

interface VersionRow {
  id: string; route_id: string; project_id: string; app_name: string; path: string; number: number; description: string;
  image: string; runtime: string | null; entry: string | null; calling: Route['calling']; code_digest: string | null;
  code_file: string | null; spec: Omit<FrozenRoute, 'image' | 'runtime' | 'entry' | 'calling' | 'codeDigest' | 'codeFile'>;
  created_at: Date;
}

interface AliasRow {
  id: string; route_id: string; project_id: string; app_name: string; path: string; name: string; version: number;
  description: string; created_at: Date; updated_at: Date;
}

const toVersion = (r: VersionRow): RouteVersion => ({
  id: r.id, routeId: r.route_id, projectId: r.project_id, appName: r.app_name, path: r.path, number: r.number,
  description: r.description, createdAt: new Date(r.created_at),
  frozen: {
    ...r.spec, image: r.image, runtime: r.runtime, entry: r.entry, calling: r.calling, codeDigest: r.code_digest, codeFile: r.code_file,
  },
});

const toAlias = (r: AliasRow): RouteAlias => ({
  id: r.id, routeId: r.route_id, projectId: r.project_id, appName: r.app_name, path: r.path, name: r.name,
  version: r.version, description: r.description, createdAt: new Date(r.created_at), updatedAt: new Date(r.updated_at),
});

/** The knex implementation of RouteVersionStore. */
export class KnexRouteVersionStore implements RouteVersionStore {
  constructor(private readonly db: Db) {}

  async publish(route: Route, frozen: FrozenRoute, description: string): Promise<RouteVersion | undefined> {
    const { image, runtime, entry, calling, codeDigest, codeFile, ...spec } = frozen;
    return this.db.transaction(async (trx) => {
      // The route's row lock numbers concurrent publishes one after the other.
      const [counted] = await trx('routes').where({ id: route.id }).increment('last_version', 1).returning('last_version');
      if (!counted) return undefined;
      const [row] = await trx('route_versions').insert({
        id: randomUUID(), route_id: route.id, project_id: route.projectId, app_name: route.appName, path: route.path,
        number: (counted as { last_version: number }).last_version, description, image, runtime: runtime ?? null,
        entry: entry ?? null, calling: calling ?? null, code_digest: codeDigest ?? null, code_file: codeFile ?? null,
        spec: JSON.stringify(spec), created_at: new Date(),
      }).returning('*');
      return toVersion(row as VersionRow);
    });
  }

  async list(routeId: string): Promise<RouteVersion[]> {
    return (await this.db<VersionRow>('route_versions').where({ route_id: routeId }).orderBy('number')).map(toVersion);
  }

  async get(routeId: string, number: number): Promise<RouteVersion | undefined> {
    const row = await this.db<VersionRow>('route_versions').where({ route_id: routeId, number }).first();
    return row && toVersion(row);
  }

  async delete(routeId: string, number: number): Promise<boolean> {
    return this.db.transaction(async (trx) => {
      // The row lock orders this delete with a trigger being pointed at the version (trigger-store).
      const version = await trx('route_versions').where({ route_id: routeId, number }).forUpdate().first('project_id', 'app_name', 'path');
      if (!version) return false;
      const aliases = await trx('route_aliases').where({ route_id: routeId, version: number }).orderBy('name').pluck('name');
      const triggers = await triggersOf(trx, version).where({ route_version: number }).pluck('name');
      if (aliases.length || triggers.length) throw routeVersionInUse(version.path, number, { aliases, triggers });
      await trx('route_versions').where({ route_id: routeId, number }).delete();
      return true;
    });
  }

  async listAliases(routeId: string): Promise<RouteAlias[]> {
    return (await this.db<AliasRow>('route_aliases').where({ route_id: routeId }).orderBy('name')).map(toAlias);
  }

  async listAppAliases(projectId: string, appName: string): Promise<RouteAlias[]> {
    return (await this.db<AliasRow>('route_aliases').where({ project_id: projectId, app_name: appName }).orderBy('name')).map(toAlias);
  }

  async getAlias(routeId: string, name: string): Promise<RouteAlias | undefined> {
    const row = await this.db<AliasRow>('route_aliases').where({ route_id: routeId, name }).first();
    return row && toAlias(row);
  }

  async createAlias(route: Route, name: string, version: number, description: string): Promise<RouteAlias> {
    const now = new Date();
    try {
      const [row] = await this.db('route_aliases').insert({
        id: randomUUID(), route_id: route.id, project_id: route.projectId, app_name: route.appName, path: route.path,
        name, version, description, created_at: now, updated_at: now,
      }).returning('*');
      return toAlias(row as AliasRow);
    } catch (err) {
      if (isUniqueViolation(err)) throw routeAliasExists(name);
      throw err;
    }
  }

  async updateAlias(routeId: string, name: string, patch: { version?: number; description?: string }): Promise<RouteAlias | undefined> {
    const columns: Record<string, unknown> = { updated_at: new Date() };
    if (patch.version !== undefined) columns.version = patch.version;
    if (patch.description !== undefined) columns.description = patch.description;
    const [row] = await this.db('route_aliases').where({ route_id: routeId, name }).update(columns).returning('*');
    return row && toAlias(row as AliasRow);
  }

  async deleteAlias(routeId: string, name: string): Promise<boolean> {
    return this.db.transaction(async (trx) => {
      const alias = await trx('route_aliases').where({ route_id: routeId, name }).forUpdate().first('project_id', 'app_name', 'path');
      if (!alias) return false;
      const triggers = await triggersOf(trx, alias).where({ route_alias: name }).pluck('name');
      if (triggers.length) throw routeAliasInUse(alias.path, name, triggers);
      await trx('route_aliases').where({ route_id: routeId, name }).delete();
      return true;
    });
  }
}

// The triggers of a version's or alias's route (triggers name their route by project, app and path), by name.
function triggersOf(trx: Knex.Transaction, of: { project_id: string; app_name: string; path: string }) {
  return trx('triggers').where({ project_id: of.project_id, app: of.app_name, route: of.path }).orderBy('name');
}
