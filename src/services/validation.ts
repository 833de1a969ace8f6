import { z } from 'zod';
import { requestInvalid } from '../errors';

// Request validation: zod schemas, and one translation of zod's issues into a 400 whose message
// names the field, e.g. `route.memory: must be at most 8192`.

function describe(issue: z.core.$ZodIssue, root: string): string {
  const field = [root, ...issue.path.map(String)].filter(Boolean).join('.');
  if (issue.code === 'unrecognized_keys') {
    return `${field || 'body'}: unknown field(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  }
  return `${field || 'body'}: ${issue.message}`;
}

/** Parses `input` with `schema`; throws ValidationError naming every bad field. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, root = ''): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw requestInvalid(result.error.issues.map((i) => describe(i, root)).join('; '));
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
  .regex(NAME, 'must be 1-255 characters of letters, digits, "_", "." or "-"');

const ROUTE_PATH = /^(\/[A-Za-z0-9_.~-]+)+$/;

/** The one route-path rule: a route's own path and the route a trigger points at. */
export const routePathSchema = z.string({ error: 'must be a string' }).max(1024, 'must be at most 1024 characters')
  .regex(ROUTE_PATH, 'must start with "/" and hold segments of letters, digits, "_", ".", "~" or "-"')
  .refine((p) => !p.split('/').some((s) => s === '.' || s === '..'), 'must not contain "." or ".." segments');

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
