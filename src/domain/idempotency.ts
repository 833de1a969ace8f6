// Idempotency keys (docs/api.md, "Sending a call twice"): a caller's `Idempotency-Key` makes a
// second run request with the same key, in the same project and within the window, answer what
// the first one answered instead of running the function again. No I/O here.
import { createHash } from 'node:crypto';
import type { CallOutcome } from './call';

/** The request header, lower case as Node gives it. */
export const IDEMPOTENCY_HEADER = 'idempotency-key';

/** 1–255 printable ASCII characters (space to tilde). */
const VALID_KEY = /^[\x20-\x7e]{1,255}$/;

/** Why `key` is not a valid key, or undefined when it is. */
export function keyProblem(key: string): string | undefined {
  if (key.length === 0) return 'must not be empty';
  if (key.length > 255) return 'must be at most 255 characters';
  if (!VALID_KEY.test(key)) return 'must be printable ASCII characters only';
  return undefined;
}

/** What identifies a request under one key: a sha256 of its method, route (project, app, path), the
 *  version it asked for (Fresco-Alias by name, else Fresco-Version; none or 0: the route itself) and body. */
export function requestFingerprint(method: string, route: { projectId: string; app: string; path: string }, body: Buffer,
  asked: { alias?: string; version?: number } = {}): string {
  const hash = createHash('sha256').update(`${method.toUpperCase()}\n${route.projectId}\n${route.app}\n${route.path}\n`);
  // Only a request that names a version says so: fingerprints of the others are those kept before versions.
  const version = asked.alias !== undefined ? `alias:${asked.alias}` : asked.version ? `version:${asked.version}` : '';
  if (version) hash.update(`@${version}\n`);
  return hash.update(body).digest('hex');
}

/** The first call's answer, kept to be given again: a sync call's outcome (without its log), or an async call's id. */
export type KeptAnswer =
  | { mode: 'sync'; callId: string; outcome: CallOutcome }
  | { mode: 'async'; callId: string; app: string; route: string; createdAt: Date };

/** A key's row: whose call it is and, once known, the answer. */
export interface IdempotencyRecord {
  callId: string;
  fingerprint: string;
  state: 'running' | 'done';
  answer?: KeptAnswer;
}

/** What the store answers when a request takes a key. */
export type KeyClaim = { taken: true } | { taken: false; record: IdempotencyRecord };

/** The keys of every project, shared by all API processes (PostgreSQL). */
export interface IdempotencyStore {
  /**
   * Takes `key` for `callId` unless another call holds it: a row past its window, or `running` past
   * its lease (its process died), is taken over. `windowS`: how long the key stays; `leaseS`: how
   * long a running call may hold it before another request may run the function again.
   */
  claim(projectId: string, key: string, fingerprint: string, callId: string, windowS: number, leaseS: number): Promise<KeyClaim>;
  /** Keeps the first call's answer; a no-op when the key is no longer this call's. */
  finish(projectId: string, key: string, answer: KeptAnswer): Promise<void>;
  /** Frees the key (the call did not happen, or was cancelled): the next request with it runs. */
  release(projectId: string, key: string, callId: string): Promise<void>;
  /** Deletes the keys whose window ended; returns how many. */
  purgeExpired(): Promise<number>;
}
