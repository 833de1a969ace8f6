import { z } from 'zod';
import { requestInvalid } from '../errors';

// Request validation: zod schemas, and one translation of zod's issues into a 400 whose message
// names the field, e.g. `route.memory: must be at most 8192`.

function describe(issue: z.core.$ZodIssue, root: string): string {
  const field = [root, ...issue.path.map(String)].filter(Boolean).join('.');
  if (issue.code === 'unrecognized_keys') {
    return `${field || 'body'}: unknown field(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  }
  return `${field || 'body'}: ${lengthMessage(issue) ?? issue.message}`;
}

// A schema's own error (e.g. 'must be a string') would otherwise also stand for its length checks.
function lengthMessage(issue: z.core.$ZodIssue): string | undefined {
  if (issue.code === 'too_big' && issue.origin === 'string') return `must be at most ${issue.maximum} characters`;
  if (issue.code === 'too_small' && issue.origin === 'string') {
    return Number(issue.minimum) <= 1 ? 'must not be empty' : `must be at least ${issue.minimum} characters`;
  }
  return undefined;
}

// PostgreSQL's text cannot hold NUL, and UTF-8 has no encoding for a lone UTF-16 surrogate.
const UNSTORABLE = /\0|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const UNSTORABLE_MESSAGE = 'must not contain a NUL character or a lone UTF-16 surrogate';

/** True when `s` holds a character PostgreSQL cannot store (NUL, a lone surrogate). */
export function unstorable(s: string): boolean {
  return UNSTORABLE.test(s);
}

/** The dotted path of the first string (key or value) in `value` that is unstorable; undefined when none. */
function unstorableField(value: unknown, field: string, depth = 0): string | undefined {
  if (typeof value === 'string') return unstorable(value) ? field : undefined;
  if (value === null || typeof value !== 'object' || depth > 64) return undefined;
  for (const [key, inner] of Object.entries(value)) {
    const at = [field, key].filter(Boolean).join('.');
    if (unstorable(key)) return at;
    const bad = unstorableField(inner, at, depth + 1);
    if (bad !== undefined) return bad;
  }
  return undefined;
}

// Path parameters longer than their column (migrations/): project ids are Keystone's 64.
const PARAM_MAX: Record<string, number> = { project_id: 64, app: 255, route: 1024, name: 255 };

/** Checks one decoded path parameter; throws ValidationError (400) naming it. */
export function checkPathParam(name: string, value: string): void {
  if (unstorable(value)) throw requestInvalid(`${name}: ${UNSTORABLE_MESSAGE}`);
  const max = PARAM_MAX[name] ?? 1024;
  if (value.length > max) throw requestInvalid(`${name}: must be at most ${max} characters`);
}

/** checkPathParam on every parameter of a matched route. */
export function checkPathParams(params: Record<string, string>): void {
  for (const [name, value] of Object.entries(params)) checkPathParam(name, value);
}

/** Parses `input` with `schema`; throws ValidationError naming every bad field (and any unstorable string). */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, root = ''): z.output<S> {
  const bad = unstorableField(input, root);
  if (bad !== undefined) throw requestInvalid(`${bad || 'body'}: ${UNSTORABLE_MESSAGE}`);
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw requestInvalid(result.error.issues.map((i) => describe(i, root)).join('; '));
}

/** Throws ValidationError naming any top-level field of `body` beside `key`. */
function onlyKey(body: object, key: string): void {
  const extra = Object.keys(body).filter((k) => k !== key);
  if (extra.length > 0) throw requestInvalid(`body: unknown field(s) ${extra.map((k) => `"${k}"`).join(', ')} beside "${key}"`);
}

/** The object under `key` of a create body `{key: {...}}`; throws ValidationError when it is missing
 *  (showing `example`) or when other top-level fields are sent. */
export function enveloped(body: unknown, key: string, example: string): unknown {
  if (!body || typeof body !== 'object' || Array.isArray(body) || !(key in body)) {
    throw requestInvalid(`${key}: required, e.g. ${example}`);
  }
  onlyKey(body, key);
  return (body as Record<string, unknown>)[key];
}

/** An update body, `{key: {...}}` (root = key; no other top-level field) or the flat fields (root = ''). */
export function unwrap(body: unknown, key: string): { value: unknown; root: string } {
  if (body && typeof body === 'object' && !Array.isArray(body) && key in body) {
    onlyKey(body, key);
    return { value: (body as Record<string, unknown>)[key], root: key };
  }
  return { value: body, root: '' };
}

const CONFIG_KEY = /^[A-Za-z_][A-Za-z0-9_.-]{0,127}$/;

/** Config maps: string keys usable as env names, string values. */
export const configSchema = z.record(
  z.string().regex(CONFIG_KEY, 'config keys must start with a letter or _ and hold only letters, digits, _ . -'),
  z.string({ error: 'config values must be strings' }).max(32768),
).refine((m) => Object.keys(m).length <= 256, 'at most 256 config keys');

const NAME = /^[A-Za-z0-9_.-]{1,255}$/;

/** The one name rule: apps, triggers and notification exchanges. */
export const nameSchema = z.string({ error: 'must be a string' })
  .regex(NAME, 'must be 1-255 characters of letters, digits, "_", "." or "-"')
  .refine((n) => n !== '.' && n !== '..', 'must not be "." or ".."');

const ROUTE_PATH = /^(\/[A-Za-z0-9_.~-]+)+$/;

/** The one route-path rule: a route's own path and the route a trigger points at. */
export const routePathSchema = z.string({ error: 'must be a string' }).max(1024, 'must be at most 1024 characters')
  .regex(ROUTE_PATH, 'must start with "/" and hold segments of letters, digits, "_", ".", "~" or "-"')
  .refine((p) => !p.split('/').some((s) => s === '.' || s === '..'), 'must not contain "." or ".." segments');

const IMAGE = /^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]{1,5})?(\/[a-z0-9]+([._-][a-z0-9]+)*)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$/;

/** The one image-reference rule (routes and runtimes); `example` shows the caller a reference of its kind. */
export const imageSchema = (example: string) => z.string({ error: 'must be a string' }).max(1024)
  .regex(IMAGE, `must be a Docker image reference such as "${example}"`);

/** "true"/"false" strings are accepted as booleans (python-picassoclient sends strings). */
export const booleanish = z.union([
  z.boolean(),
  z.enum(['true', 'false', 'True', 'False']).transform((s) => s.toLowerCase() === 'true'),
], { error: 'must be a boolean (or "true"/"false")' });

/** Whole numbers within [min, max], with a message that names the bounds. */
export const intIn = (min: number, max: number) =>
  z.int({ error: 'must be a whole number' })
    .min(min, `must be at least ${min}`)
    .max(max, `must be at most ${max}`);
