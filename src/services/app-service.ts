import { z } from 'zod';
import { appNotFound, requestInvalid } from '../errors';
import type { RouteScope } from '../domain/executor';
import { App, AppStore } from '../domain/models';
import { configSchema, enveloped, nameSchema, parseInput, unwrap } from './validation';

export const createSchema = z.strictObject({
  name: nameSchema,
  description: z.string().max(4096).optional(),
  config: configSchema.optional(),
});

export const updateSchema = z.strictObject({
  name: nameSchema.optional(),
  description: z.string().max(4096).optional(),
  config: configSchema.optional(),
});


/** Use cases on apps: validation and rules; storage through AppStore. */
export class AppService {
  /** `onChange` hears of every app updated, as the scope of all its routes. */
  constructor(private readonly deps: { appStore: AppStore; onChange?: (routes: RouteScope) => void }) {}

  list(projectId: string): Promise<App[]> {
    return this.deps.appStore.list(projectId);
  }

  /** Returns the app or throws NotFoundError FRESCO_APP_NOT_FOUND. */
  async get(projectId: string, name: string): Promise<App> {
    const app = await this.deps.appStore.get(projectId, name);
    if (!app) throw appNotFound(name);
    return app;
  }

  /** Body `{"app": {name, description?, config?}}`; throws ValidationError or FRESCO_APP_EXISTS. */
  create(projectId: string, body: unknown): Promise<App> {
    const input = parseInput(createSchema, enveloped(body, 'app', '{"app": {"name": "myapp"}}'), 'app');
    return this.deps.appStore.create({
      projectId, name: input.name, description: input.description ?? '', config: input.config ?? {},
    });
  }

  /** Body `{"app": {...}}` or the flat fields; the name cannot change. */
  async update(projectId: string, name: string, body: unknown): Promise<App> {
    const { value, root } = unwrap(body, 'app');
    const input = parseInput(updateSchema, value, root);
    if (input.name !== undefined && input.name !== name) {
      throw requestInvalid(`${root ? 'app.' : ''}name: an app cannot be renamed`);
    }
    const app = await this.deps.appStore.update(projectId, name, { description: input.description, config: input.config });
    this.deps.onChange?.({ projectId, appName: name });
    if (!app) throw appNotFound(name);
    return app;
  }

  /** Throws NotFound, or Conflict FRESCO_APP_HAS_ROUTES while routes remain. */
  async delete(projectId: string, name: string): Promise<void> {
    if (!(await this.deps.appStore.delete(projectId, name))) {
      throw appNotFound(name);
    }
  }
}

