// A call, one shape from its entry point (HTTP run, event, schedule, alarm) through the queue and
// the executor to the store. Conversions happen only at the edges: the HTTP wire (src/api), the
// database row (src/store), the AMQP bytes (src/queue). No I/O here.

/** A call's life: queued (async only), running, then one final status. */
export const CALL_STATUSES = ['queued', 'running', 'success', 'error', 'timeout', 'cancelled'] as const;
export type CallStatus = (typeof CALL_STATUSES)[number];
/** The status a call ends with. */
export type FinalStatus = Exclude<CallStatus, 'queued' | 'running'>;

/** What started the call: a sync HTTP run, an async one, an event of a trigger's type, or the call before it in a chain. */
export const CALL_TRIGGERS = ['http', 'async', 'swift', 'notification', 'alarm', 'schedule', 'chain'] as const;
export type CallTrigger = (typeof CALL_TRIGGERS)[number];

/** How the function ran: a container of its own, a pre-started one, or a hot one serving many calls. */
export const CALL_KINDS = ['cold', 'prestarted', 'hot'] as const;
export type CallKind = (typeof CALL_KINDS)[number];

/** The request a function is called with (docs/function-contract.md): the same from entry point to store. */
export interface CallRequest {
  method: string;
  /** The full URL the caller used (REQUEST_URL). */
  url: string;
  /** Path and query the function sees in a hot request line, e.g. "/r/app/hello?x=1". */
  requestPath: string;
  /** Caller's headers, lower-case names, credentials and identity headers removed. */
  headers: Record<string, string | string[]>;
  body: Buffer;
}

/** What came of a call. A function's misbehaviour is a status here, never a throw. */
export interface CallOutcome {
  status: FinalStatus;
  /** Absent when the call never reached a container (its route could not be run). */
  kind?: CallKind;
  exitCode?: number | null;
  /** The answer's body (stdout for the default format), capped. */
  result: Buffer;
  resultTruncated: boolean;
  /** The function's stderr, capped. */
  log: Buffer;
  logTruncated: boolean;
  /** Human-readable reason when status is not success. */
  error?: string;
  /** For http/json formats: what the function answered (not kept in the call record). */
  httpStatus?: number;
  httpHeaders?: Record<string, string[]>;
  startedAt?: Date;
  completedAt: Date;
}

/** An outcome without a run: the call ended as `status` before any function answered. */
export function outcomeWithoutRun(status: FinalStatus, error: string, kind?: CallKind): CallOutcome {
  return {
    status, kind, exitCode: null, result: Buffer.alloc(0), resultTruncated: false, log: Buffer.alloc(0),
    logTruncated: false, error, completedAt: new Date(),
  };
}

/** The event kinds that start calls (a trigger's type). */
export type EventSource = 'swift' | 'notification' | 'alarm' | 'schedule';

/**
 * The request an event's call runs with (docs/function-contract.md, Events): the event as a JSON
 * body, POST, and `fresco-event://<type>/<trigger id>` as its URL, so a function tells an event
 * from an HTTP run by REQUEST_URL.
 */
export function eventRequest(trigger: { type: EventSource; id: string; route: string }, event: unknown): CallRequest {
  return {
    method: 'POST', url: `fresco-event://${trigger.type}/${trigger.id}`, requestPath: trigger.route,
    headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify(event)),
  };
}
