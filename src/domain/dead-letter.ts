// Dead letters (docs/api.md, "Dead letters"): work that failed for good, kept per project with the
// input it ran with, until redriven or purged. No I/O here.
import type { CallRequest, CallTrigger } from './call';

/** `call`: an async call whose last attempt failed; `event`: an event whose trigger's call could not be created. */
export const DEAD_LETTER_KINDS = ['call', 'event'] as const;
export type DeadLetterKind = (typeof DEAD_LETTER_KINDS)[number];

export interface DeadLetter {
  id: string;
  projectId: string;
  kind: DeadLetterKind;
  /** The failed call (kind call). */
  callId?: string;
  app: string;
  /** With its leading slash. */
  route: string;
  trigger: CallTrigger;
  triggerId?: string;
  /** The call's final status (error, timeout) or, for an event, `not_created`. */
  reason: string;
  errorCode?: string;
  error?: string;
  attempts: number;
  /** What a redrive runs with: the call's request (credentials already removed). */
  input: CallRequest;
  createdAt: Date;
  redrivenAt?: Date;
  redriveCallId?: string;
}

export type NewDeadLetter = Omit<DeadLetter, 'id' | 'createdAt' | 'redrivenAt' | 'redriveCallId'> & {
  /** Makes a second dead letter with the same key a no-op (a redelivered event). */
  dedupeKey?: string;
};

/** Which dead letters a list, redrive or purge applies to; all fields optional. */
export interface DeadLetterFilter {
  app?: string;
  route?: string;
  kind?: DeadLetterKind;
  since?: Date;
  until?: Date;
  /** true: only redriven ones; false: only those not redriven yet. */
  redriven?: boolean;
}

/** Keeps dead letters; every read and write is scoped to one project (another's items are invisible). */
export interface DeadLetterStore {
  /** Records one; false when its dedupeKey was used before (nothing inserted). */
  add(d: NewDeadLetter): Promise<boolean>;
  /** Newest first; `next` is the marker of the following page or null. Throws ValidationError for a bad marker. */
  list(projectId: string, f: DeadLetterFilter & { marker?: string; limit: number }): Promise<{ deadLetters: DeadLetter[]; next: string | null }>;
  /** Undefined when there is no such dead letter in the project. */
  get(projectId: string, id: string): Promise<DeadLetter | undefined>;
  /** Deletes one; false when it was not there. */
  delete(projectId: string, id: string): Promise<boolean>;
  /** Deletes the project's dead letters matching `f` created before `olderThan` (if given); returns how many. */
  purge(projectId: string, f: DeadLetterFilter & { olderThan?: Date }): Promise<number>;
  /** Deletes every project's dead letters created before `before` (retention); returns how many. */
  purgeBefore(before: Date): Promise<number>;
}
