import { z } from 'zod';
import { nameSchema, parseInput } from '../services/validation';
import { SWIFT_METHODS, type TriggerType } from './types';
import { validateSchedule } from './schedule';

// Per-type trigger filter schemas for the API layer (docs/api.md, Triggers). Strict: unknown keys are
// rejected so a typo ("suffx") cannot silently widen a trigger.

/** Default Swift methods: object writes and deletes; reads only when asked for. */
export const DEFAULT_SWIFT_METHODS = ['PUT', 'DELETE'] as const;

const text = (max: number) => z.string({ error: 'must be a string' }).min(1, 'must not be empty').max(max, `must be at most ${max} characters`);

// Swift's own limits: a container name is 1-256 bytes of UTF-8 without "/".
const containerSchema = z.string({ error: 'must be a string' })
  .refine((s) => s.length > 0 && Buffer.byteLength(s) <= 256, 'must be 1-256 bytes')
  .refine((s) => !s.includes('/'), 'must not contain "/"');

const methodSchema = z.string({ error: 'must be a string' })
  .transform((s) => s.toUpperCase())
  .pipe(z.enum(SWIFT_METHODS, { error: `must be one of ${SWIFT_METHODS.join(', ')}` }));

/** Swift filter: {container?, prefix?, suffix?, methods? (default ["PUT","DELETE"])}; names decoded, not quoted. */
export const swiftFilterSchema = z.strictObject({
  container: containerSchema.optional(),
  prefix: text(1024).optional(),
  suffix: text(1024).optional(),
  methods: z.array(methodSchema, { error: 'must be a list of HTTP methods' })
    .min(1, 'must list at least one method')
    .transform((ms) => [...new Set(ms)])
    .default([...DEFAULT_SWIFT_METHODS]),
});

const pattern = z.string({ error: 'must be a string' })
  .regex(/^[A-Za-z0-9_.*?:-]{1,255}$/, 'must be 1-255 letters, digits, "_", ".", "-", ":" or the wildcards "*" and "?"');

/** Notification filter: {exchange?, event_type? (glob), publisher_id? (glob)}. */
export const notificationFilterSchema = z.strictObject({
  exchange: nameSchema.optional(),
  event_type: pattern.optional(),
  publisher_id: pattern.optional(),
});

/** Alarm and schedule triggers take no filter keys. */
export const emptyFilterSchema = z.strictObject({});

/** The filter schema for a trigger type. */
export const filterSchemas: Record<TriggerType, z.ZodType<Record<string, unknown>>> = {
  swift: swiftFilterSchema,
  notification: notificationFilterSchema,
  alarm: emptyFilterSchema,
  schedule: emptyFilterSchema,
};

/** Returns the normalised filter; throws ValidationError naming the field under `trigger.filter`. */
export function parseTriggerFilter(type: TriggerType, filter: unknown): Record<string, unknown> {
  return parseInput(filterSchemas[type], filter ?? {}, 'trigger.filter');
}

/** The rules TriggerService takes (services/trigger-service.ts TriggerRules). */
export const triggerRules = {
  parseFilter: parseTriggerFilter,
  checkSchedule: validateSchedule,
};
