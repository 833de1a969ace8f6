import type { Trigger } from '../domain/models';

// Types shared by the event pipeline: decoded AMQP notifications, the event object functions
// receive (docs/function-contract.md), and the slice of a trigger that matching needs.

/** A decoding or normalisation outcome; `reason` is safe to log (it never echoes the body). */
export type Result<T> = ({ ok: true } & T) | { ok: false; reason: string };

/** An oslo.messaging notification after envelope decoding (v1 bare dict or v2 envelope). */
export interface Notification {
  /** Dedupe key: oslo message_id, else _unique_id, else the AMQP messageId, else sha256 of the body. */
  messageId: string;
  eventType: string;
  publisherId: string;
  /** Upper case as oslo writes it (INFO, WARN, SAMPLE...). */
  priority: string;
  /** The oslo timestamp read as UTC; the decode time when absent or unreadable. */
  timestamp: Date;
  payload: unknown;
  /** `_context_*` keys with the prefix removed (empty for ceilometermiddleware). */
  context: Record<string, unknown>;
  envelopeVersion: '1' | '2.0';
  /** AMQP exchange it arrived on ('' when unknown). */
  exchange: string;
  routingKey: string;
  /** The inner oslo message as parsed (v2: oslo.message parsed; v1: the body). */
  raw: Record<string, unknown>;
}

/** The JSON a function receives on stdin for an event (docs/function-contract.md). */
export interface FrescoEvent {
  source: 'swift' | 'notification' | 'aodh' | 'schedule';
  event_type: string;
  project_id: string;
  /** ISO 8601 UTC. */
  time: string;
  data: Record<string, unknown>;
  raw: unknown;
}

/** A normalised notification: the event plus what matching needs but functions don't. */
export interface RoutedEvent {
  event: FrescoEvent;
  messageId: string;
  exchange: string;
  publisherId: string;
}

/** Normalised Swift data (FrescoEvent.data for source 'swift'). */
export interface SwiftEventData {
  [key: string]: unknown;
  /** Decoded names; null for account (container) or container (object) requests. */
  container: string | null;
  object: string | null;
  /** Upper-case HTTP method. */
  method: string;
  /** Request body bytes stored (storage.objects.incoming.bytes), 0 when absent. */
  bytes: number;
  /** Response body bytes (storage.objects.outgoing.bytes), 0 when absent. */
  outgoing_bytes: number;
  /** initiator.id: the user, or a random uuid for an unauthenticated request. */
  user_id: string | null;
  initiator_project_id: string | null;
  /** The caller's token was scoped to the account's own project. */
  own_request: boolean;
  /** CADF outcome failure, or a PUT/DELETE that answered with a body (Swift's error pages). */
  suspected_failure: boolean;
}

export type TriggerType = Trigger['type'];

/** What matching reads of a trigger; the store's Trigger satisfies it. */
export type MatchableTrigger = Pick<Trigger, 'id' | 'projectId' | 'type' | 'app' | 'route' | 'filter' | 'enabled'>;

/** A normalised swift trigger filter (see filters.ts). */
export interface SwiftFilter {
  container?: string;
  prefix?: string;
  suffix?: string;
  methods: SwiftMethod[];
}

export const SWIFT_METHODS = ['GET', 'HEAD', 'PUT', 'POST', 'DELETE', 'COPY'] as const;
export type SwiftMethod = (typeof SWIFT_METHODS)[number];

/** A normalised notification trigger filter; patterns are globs (see glob.ts). */
export interface NotificationFilter {
  exchange?: string;
  event_type?: string;
  publisher_id?: string;
}
