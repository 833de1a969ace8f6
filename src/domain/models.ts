// Fresco's domain objects and the store ports that keep them. No I/O here.

export type StringMap = Record<string, string>;

export interface App {
  id: string;
  projectId: string;
  name: string;
  description: string;
  config: StringMap;
  createdAt: Date;
  updatedAt: Date;
}

export type RouteType = 'sync' | 'async';

export interface Route {
  id: string;
  appId: string;
  projectId: string;
  appName: string;
  /** With its leading slash; may contain further slashes. */
  path: string;
  image: string;
  type: RouteType;
  format: 'default' | 'http' | 'json';
  memory: number;
  timeout: number;
  idleTimeout: number;
  maxConcurrency: number;
  headers: Record<string, string[]>;
  config: StringMap;
  isPublic: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export type NewApp = Pick<App, 'projectId' | 'name' | 'description' | 'config'>;
export type AppPatch = Partial<Pick<App, 'description' | 'config'>>;
export type NewRoute = Omit<Route, 'id' | 'appId' | 'createdAt' | 'updatedAt'>;
export type RoutePatch = Partial<Omit<NewRoute, 'projectId' | 'appName' | 'path'>>;

/** Keeps apps. Names are unique per project: create throws ConflictError FRESCO_APP_EXISTS. */
export interface AppStore {
  list(projectId: string): Promise<App[]>;
  /** Returns undefined when there is no such app in that project. */
  get(projectId: string, name: string): Promise<App | undefined>;
  create(app: NewApp): Promise<App>;
  /** Returns undefined when the app does not exist. */
  update(projectId: string, name: string, patch: AppPatch): Promise<App | undefined>;
  /** Returns false when the app does not exist; throws ConflictError FRESCO_APP_HAS_ROUTES. */
  delete(projectId: string, name: string): Promise<boolean>;
}

/** Keeps routes. Paths are unique per app; a public route claims /r/{app}{path} globally. */
export interface RouteStore {
  list(projectId: string, appName: string): Promise<Route[]>;
  get(projectId: string, appName: string, path: string): Promise<Route | undefined>;
  /** The public route exposed at /r/{appName}{path}, whatever its project. */
  getPublic(appName: string, path: string): Promise<Route | undefined>;
  /** Throws ConflictError FRESCO_ROUTE_EXISTS or FRESCO_ROUTE_PUBLIC_URL_TAKEN; NotFound if the app is gone. */
  create(route: NewRoute): Promise<Route>;
  update(projectId: string, appName: string, path: string, patch: RoutePatch): Promise<Route | undefined>;
  delete(projectId: string, appName: string, path: string): Promise<boolean>;
}
