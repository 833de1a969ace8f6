import { createHash } from 'node:crypto';
import { unsafeJson } from './json-guard';
import type { QueueMessage } from '../domain/queue';
import type { Notification, Result } from './types';

// oslo.messaging envelope decoding (docs/openstack.md, Notifications). Pure and total: every input yields a
// Notification or a reason, so the listener can dead-letter a poison message instead of crashing.

/** Default cap on a notification body; oslo messages are a few KB, so 1 MiB is generous. */
export const DEFAULT_MAX_NOTIFICATION_BYTES = 1024 * 1024;

/** What the decoder reads of a delivery beside its content. */
export type DeliveryProps = Partial<Pick<QueueMessage, 'messageId' | 'contentEncoding' | 'exchange' | 'routingKey'>>;

/** Decoder options: `maxBytes` (default 1 MiB) and `now` (fallback timestamp, default the clock). */
export interface DecodeOptions {
  maxBytes?: number;
  now?: Date;
}

const fail = (reason: string): { ok: false; reason: string } => ({ ok: false, reason });
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Decodes one AMQP body into a Notification, or `{ok:false, reason}`; never throws. */
export function decodeNotification(
  content: Buffer, props: DeliveryProps = {}, opts: DecodeOptions = {},
): Result<{ notification: Notification }> {
  try {
    return decode(content, props, opts);
  } catch (err) {
    // Unreachable by design; kept so a bug here dead-letters one message rather than the listener.
    return fail(`decoder error: ${(err as Error).message}`);
  }
}

function decode(content: Buffer, props: DeliveryProps, opts: DecodeOptions): Result<{ notification: Notification }> {
  const max = opts.maxBytes ?? DEFAULT_MAX_NOTIFICATION_BYTES;
  // Checked before any decoding so a huge message costs nothing but its length.
  if (content.length > max) return fail(`message of ${content.length} bytes exceeds the ${max}-byte limit`);
  const enc = props.contentEncoding?.toLowerCase();
  if (enc && enc !== 'utf-8' && enc !== 'utf8') return fail(`unsupported content encoding "${props.contentEncoding}"`);
  const body = parseJsonObject(content);
  if (!body.ok) return body;
  const inner = unwrap(body.value);
  if (!inner.ok) return inner;
  return toNotification(inner.message, inner.version, content, props, opts.now ?? new Date());
}

function parseJsonObject(content: Buffer): Result<{ value: Record<string, unknown> }> {
  let text: string;
  try {
    text = utf8.decode(content);
  } catch {
    return fail('body is not valid UTF-8');
  }
  const unsafe = unsafeJson(text);
  if (unsafe) return fail(`body ${unsafe}`);
  const parsed = parseJson(text);
  if (!parsed.ok) return fail(`body is not JSON: ${parsed.reason}`);
  if (!isObject(parsed.value)) return fail('body is not a JSON object');
  return { ok: true, value: parsed.value };
}

function parseJson(text: string): Result<{ value: unknown }> {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (err) {
    return fail((err as Error).message);
  }
}

// oslo's own rule: an object with both oslo.version and oslo.message is an envelope; anything
// else is a bare (v1) message.
function unwrap(body: Record<string, unknown>): Result<{ message: Record<string, unknown>; version: '1' | '2.0' }> {
  if (!('oslo.version' in body && 'oslo.message' in body)) return { ok: true, message: body, version: '1' };
  const version = body['oslo.version'];
  if (typeof version !== 'string' || !/^2\./.test(version)) return fail(`unsupported oslo.version ${JSON.stringify(version)}`);
  const raw = body['oslo.message'];
  if (typeof raw !== 'string') return fail('oslo.message is not a string');
  const unsafe = unsafeJson(raw);
  if (unsafe) return fail(`oslo.message ${unsafe}`);
  const inner = parseJson(raw);
  if (!inner.ok) return fail(`oslo.message is not JSON: ${inner.reason}`);
  if (!isObject(inner.value)) return fail('oslo.message is not a JSON object');
  return { ok: true, message: inner.value, version: '2.0' };
}

function toNotification(
  msg: Record<string, unknown>, version: '1' | '2.0', content: Buffer, props: DeliveryProps, now: Date,
): Result<{ notification: Notification }> {
  const eventType = msg.event_type;
  if (typeof eventType !== 'string' || eventType === '') return fail('message has no event_type');
  if (!('payload' in msg)) return fail('message has no payload');
  const messageId = messageIdOf(msg, content, props);
  if (messageId.length > MAX_MESSAGE_ID) return fail(`message_id longer than ${MAX_MESSAGE_ID} characters`);
  if (messageId.includes('\u0000')) return fail('message_id contains a NUL character');
  return {
    ok: true,
    notification: {
      messageId,
      eventType,
      publisherId: str(msg.publisher_id) ?? '',
      priority: (str(msg.priority) ?? 'INFO').toUpperCase(),
      timestamp: parseOsloTimestamp(msg.timestamp) ?? now,
      payload: msg.payload,
      context: contextOf(msg),
      envelopeVersion: version,
      exchange: props.exchange ?? '',
      routingKey: props.routingKey ?? '',
      raw: msg,
    },
  };
}

/** oslo's message ids are UUIDs; a longer one is hostile (and would not fit the calls' dedupe key). */
const MAX_MESSAGE_ID = 255;

// oslo publishes no AMQP message-id, so the property is a last resort; hashing the body keeps a
// redelivered id-less message deduplicable.
function messageIdOf(msg: Record<string, unknown>, content: Buffer, props: DeliveryProps): string {
  return str(msg.message_id) || str(msg._unique_id) || props.messageId
    || `sha256:${createHash('sha256').update(content).digest('hex')}`;
}

function contextOf(msg: Record<string, unknown>): Record<string, unknown> {
  const ctx: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(msg)) if (k.startsWith('_context_')) ctx[k.slice(9)] = v;
  return ctx;
}

const OSLO_TS = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:?\d{2})?$/;

/** Reads Python's str(datetime) ("2026-11-28 17:32:18.563817", UTC, no zone); undefined if unreadable. */
export function parseOsloTimestamp(value: unknown): Date | undefined {
  if (typeof value !== 'string') return undefined;
  const m = OSLO_TS.exec(value.trim());
  if (!m) return undefined;
  // JS dates hold milliseconds; microseconds are truncated, not rounded, to stay within the second.
  const frac = m[3] ? m[3].slice(0, 4).padEnd(4, '0') : '';
  const date = new Date(`${m[1]}T${m[2]}${frac}${m[4] ?? 'Z'}`);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** A non-null, non-array object. */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}
