// Fresco's objects as Qinling's API shows them (docs/qinling.md): every column python-qinlingclient
// lists is present, or the client makes extra calls (or crashes, for versions).
import type { CallOutcome } from '../../domain/executor';
import type { Call, Route } from '../../domain/models';
import type { Runtime } from '../../runtimes/model';

/** The app of each project that holds its Qinling functions, one route per function. */
export const QINLING_APP = 'qinling';
/** Route config keys keeping what a route has no column for (they reach the function as variables too). */
export const NAME_KEY = 'QINLING_FUNCTION_NAME';
export const DESCRIPTION_KEY = 'QINLING_FUNCTION_DESCRIPTION';
export const CPU_KEY = 'QINLING_FUNCTION_CPU';
/** The Swift object a function's code came from, `{"container", "object"}` as JSON. */
export const SWIFT_KEY = 'QINLING_FUNCTION_SWIFT';
const MIB = 1024 * 1024;

/** Qinling printed `YYYY-MM-DD HH:MM:SS`. */
export function qTime(d: Date | undefined): string | null {
  return d ? d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, '') : null;
}

/** A function's id is its route's path without the slash. */
export function functionIdOf(path: string): string {
  return path.replace(/^\//, '');
}

export function presentFunction(r: Route, runtimes: Runtime[]) {
  const runtime = r.runtime ? runtimes.find((rt) => rt.name === r.runtime) : undefined;
  return {
    id: functionIdOf(r.path), name: r.config[NAME_KEY] ?? null, description: r.config[DESCRIPTION_KEY] ?? null, count: 0,
    code: codeOf(r),
    runtime_id: runtime?.id ?? null, entry: r.runtime ? (r.entry ?? 'main.main') : null, project_id: r.projectId,
    created_at: qTime(r.createdAt), updated_at: qTime(r.updatedAt),
    cpu: Number(r.config[CPU_KEY] ?? 100), memory_size: r.memory * MIB, timeout: r.timeout, latest_version: 0,
  };
}

function codeOf(r: Route) {
  if (!r.runtime) return { source: 'image', image: r.image };
  if (r.config[SWIFT_KEY]) return { source: 'swift', swift: JSON.parse(r.config[SWIFT_KEY]) as unknown, sha256: r.codeDigest ?? null };
  return { source: 'package', md5sum: null, sha256: r.codeDigest ?? null };
}

export function presentRuntime(r: Runtime) {
  return {
    id: r.id, name: r.name, image: r.image, status: 'available', description: r.description, is_public: true,
    trusted: true, project_id: null, created_at: qTime(r.createdAt), updated_at: qTime(r.updatedAt),
  };
}

/** Qinling's statuses: running, success, failed. */
function statusOf(s: Call['status']): string {
  if (s === 'queued' || s === 'running') return 'running';
  return s === 'success' ? 'success' : 'failed';
}

function resultOf(status: Call['status'], durationMs: number | undefined, output: Buffer | undefined, error?: string) {
  if (status === 'queued' || status === 'running') return {};
  const text = output?.toString('utf8') ?? '';
  return { duration: (durationMs ?? 0) / 1000, output: status === 'success' ? text : (error ?? text) };
}

export function presentExecution(c: Call, input: string | null = null) {
  return {
    id: c.id, function_alias: null, function_id: functionIdOf(c.route), function_version: c.routeVersion ?? 0, description: '',
    input, result: resultOf(c.status, c.durationMs, c.result, c.error), status: statusOf(c.status),
    sync: c.trigger === 'http', project_id: c.projectId, created_at: qTime(c.createdAt),
    updated_at: qTime(c.completedAt ?? c.startedAt ?? c.createdAt),
  };
}

/** A sync execution, from its run's result (its record may still be on its way to the database). */
export function presentSyncExecution(id: string, route: Route, r: CallOutcome, input: string | null, createdAt: Date) {
  const durationMs = r.startedAt ? r.completedAt.getTime() - r.startedAt.getTime() : undefined;
  return presentExecution({
    id, projectId: route.projectId, app: route.appName, route: route.path, trigger: 'http', status: r.status,
    createdAt, startedAt: r.startedAt, completedAt: r.completedAt, durationMs, result: r.result, error: r.error,
    resultTruncated: r.resultTruncated, logTruncated: r.logTruncated, attempts: 1,
  }, input);
}
