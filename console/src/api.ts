import type { Session } from './session';

// Fresco's public API as the console calls it (docs/api.md): the session's token in X-Auth-Token,
// JSON in and out, and the API's error answer turned into an ApiError whose messages are split by field.

/** An error answer of the API: its status, code, message, and the message per field it names. */
export class ApiError extends Error {
  constructor(readonly status: number, message: string, readonly code?: string,
    readonly requestId?: string, readonly body?: Record<string, unknown>) {
    super(message);
  }

  /** `route.memory: must be at most 8192; route.image: …` → {memory: …, image: …}; the rest under ''. */
  get fields(): Record<string, string> {
    const out: Record<string, string> = {};
    const add = (k: string, m: string) => { out[k] = out[k] ? `${out[k]}; ${m}` : m; };
    for (const part of this.message.split('; ')) {
      const m = /^([a-z_]+)\.([a-z_]+)(?:\.[^:]*)?: (.*)$/s.exec(part);
      if (m) add(m[2], m[3]); else add('', part);
    }
    return out;
  }
}

let current: Session | undefined;
let onUnauthorized: (message: string) => void = () => undefined;

/** The session the next requests run as, and what to do when the API answers 401. */
export function setApiSession(s: Session | undefined, unauthorized: (message: string) => void): void {
  current = s;
  onUnauthorized = unauthorized;
}

/** The project path prefix, e.g. /v1/{project_id}. */
export function projectPath(rest = ''): string {
  return `/v1/${encodeURIComponent(current?.projectId ?? '')}${rest}`;
}

function headers(extra: Record<string, string> = {}): Record<string, string> {
  const h: Record<string, string> = { Accept: 'application/json', ...extra };
  if (current?.token) h['X-Auth-Token'] = current.token;
  return h;
}

/** Turns an answer's body into an ApiError; Keystone's own errors (numeric code) included. */
export function errorOf(status: number, body: unknown): ApiError {
  const e = (body as { error?: { message?: string; code?: unknown; request_id?: string; title?: string } })?.error;
  const message = e?.message ?? (typeof body === 'string' && body ? body : `HTTP ${status}`);
  return new ApiError(status, message, typeof e?.code === 'string' ? e.code : undefined, e?.request_id,
    body && typeof body === 'object' ? body as Record<string, unknown> : undefined);
}

async function parse(res: Response): Promise<unknown> {
  const text = await res.text();
  if ((res.headers.get('Content-Type') ?? '').includes('json')) {
    try { return JSON.parse(text); } catch { return text; }
  }
  return text;
}

/** One API request; resolves to the parsed body, rejects with ApiError (401 also signs out). */
export async function api<T = any>(method: string, path: string, body?: unknown): Promise<T> {
  const init: RequestInit = { method, headers: headers(body === undefined ? {} : { 'Content-Type': 'application/json' }) };
  if (body !== undefined) init.body = JSON.stringify(body);
  const res = await fetch(path, init);
  const data = await parse(res);
  if (!res.ok) {
    const err = errorOf(res.status, data);
    if (res.status === 401 && current?.mode === 'keystone') onUnauthorized(err.message);
    throw err;
  }
  return data as T;
}

/** A route's run: POST /v1/r/{project}/{app}{path} with `body` as it is. Resolves to status and answer, never rejects on 4xx/5xx. */
export async function runRoute(app: string, path: string, body: string, contentType: string) {
  const url = `/v1/r/${encodeURIComponent(current?.projectId ?? '')}/${encodeURIComponent(app)}${path}`;
  const res = await fetch(url, { method: 'POST', headers: headers({ 'Content-Type': contentType }), body });
  return { status: res.status, body: await parse(res), callId: res.headers.get('X-Fresco-Call-Id') ?? undefined };
}

/** A call's log (text/plain) and whether it was capped. */
export async function callLog(id: string): Promise<{ text: string; truncated: boolean }> {
  const res = await fetch(projectPath(`/calls/${encodeURIComponent(id)}/log`), { headers: headers({ Accept: 'text/plain' }) });
  if (!res.ok) throw errorOf(res.status, await parse(res));
  return { text: await res.text(), truncated: res.headers.get('X-Fresco-Log-Truncated') === 'true' };
}

/**
 * Follows a running call's log (GET .../log?follow=true): `onText` gets the whole text so far
 * after each chunk, until the call ends or `signal` aborts. Resolves when the follow ends.
 */
export async function followLog(id: string, onText: (text: string) => void, signal: AbortSignal): Promise<void> {
  const res = await fetch(projectPath(`/calls/${encodeURIComponent(id)}/log?follow=true`), { headers: headers({ Accept: 'text/plain' }), signal });
  if (!res.ok || !res.body) return;
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    text += decoder.decode(value, { stream: true });
    onText(text);
  }
}

/** The console's login through Fresco (POST /console/keystone/auth/tokens): the token and Keystone's token body. */
export async function keystoneLogin(auth: unknown): Promise<{ token: string; body: any }> {
  const res = await fetch('keystone/auth/tokens', {
    method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body: JSON.stringify({ auth }),
  });
  const body = await parse(res);
  const token = res.headers.get('X-Subject-Token');
  if (!res.ok || !token) throw errorOf(res.status, body);
  return { token, body };
}

/** How this Fresco authenticates, from its version document (GET /): keystone with Keystone's URL, or noauth. */
export async function probeAuth(): Promise<{ mode: 'keystone' | 'noauth'; keystoneUri?: string }> {
  const res = await fetch('/', { headers: { Accept: 'application/json' } });
  const doc = await parse(res) as { auth?: { strategy?: string; www_authenticate_uri?: string } };
  return doc?.auth?.strategy === 'keystone'
    ? { mode: 'keystone', keystoneUri: doc.auth.www_authenticate_uri } : { mode: 'noauth' };
}
