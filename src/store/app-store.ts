import { randomUUID } from 'node:crypto';
import { appExists, appHasRoutes } from '../errors';
import { App, AppPatch, AppStore, NewApp } from '../domain/models';
import { Db } from './db';
import { isForeignKeyViolation, isUniqueViolation } from './pg-errors';

interface AppRow {
  id: string; project_id: string; name: string; description: string;
  config: Record<string, string>; created_at: Date; updated_at: Date;
}

const toApp = (r: AppRow): App => ({
  id: r.id, projectId: r.project_id, name: r.name, description: r.description,
  config: r.config ?? {}, createdAt: new Date(r.created_at), updatedAt: new Date(r.updated_at),
});

/** The knex implementation of AppStore. */
export class KnexAppStore implements AppStore {
  constructor(private readonly db: Db) {}

  async list(projectId: string): Promise<App[]> {
    const rows = await this.db<AppRow>('apps').where({ project_id: projectId }).orderBy('name');
    return rows.map(toApp);
  }

  async get(projectId: string, name: string): Promise<App | undefined> {
    const row = await this.db<AppRow>('apps').where({ project_id: projectId, name }).first();
    return row && toApp(row);
  }

  async create(app: NewApp): Promise<App> {
    const now = new Date();
    const row = {
      id: randomUUID(), project_id: app.projectId, name: app.name, description: app.description,
      config: JSON.stringify(app.config), created_at: now, updated_at: now,
    };
    try {
      const [created] = await this.db<AppRow>('apps').insert(row as never).returning('*');
      return toApp(created as AppRow);
    } catch (err) {
      if (isUniqueViolation(err)) throw appExists(app.name);
      throw err;
    }
  }

  async update(projectId: string, name: string, patch: AppPatch): Promise<App | undefined> {
    const changes: Record<string, unknown> = { updated_at: new Date() };
    if (patch.description !== undefined) changes.description = patch.description;
    if (patch.config !== undefined) changes.config = JSON.stringify(patch.config);
    const [row] = await this.db<AppRow>('apps').where({ project_id: projectId, name })
      .update(changes as never).returning('*');
    return row && toApp(row as AppRow);
  }

  async delete(projectId: string, name: string): Promise<boolean> {
    try {
      return (await this.db('apps').where({ project_id: projectId, name }).delete().returning('id')).length > 0;
    } catch (err) {
      if (isForeignKeyViolation(err)) {
        throw appHasRoutes(name);
      }
      throw err;
    }
  }
}
