// A hot format: how one call is written to a container's stdin and its answer read back.
import type { ExecutorCall } from '../../domain/executor';

/** A function's answer to one hot call. */
export interface HotResponse {
  status: number;
  headers: Record<string, string[]>;
  body: Buffer;
  /** Set when a runtime reports that the function failed (json `fresco_error`): the call ends `error`. */
  failure?: string;
}

/** Incremental reader of one response; reset() before each call. */
export interface ResponseReader {
  /** undefined: need more bytes; an Error: the stream is garbled (the container is discarded). */
  push(chunk: Buffer): HotResponse | Error | undefined;
  /** Forgets any partial response; `method` is the coming request's (default GET). */
  reset(method?: string): void;
}

/** One hot wire format (http or json). */
export interface HotProtocol {
  encode(req: ExecutorCall): Buffer;
  reader(outputCap: number): ResponseReader;
}
