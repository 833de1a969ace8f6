import type { ExecutorCall, CallOutcome, Executor, RouteScope } from '../../src/domain/executor';
import type { CallSignal } from '../../src/domain/call-abort';
import { engineUnavailable } from '../../src/errors';

// An in-memory Executor for API and queue tests that are about Fresco's own behaviour (records,
// statuses, answers), not Docker's; the Docker executor has its own tests on a real engine.
// Each call's behaviour comes from the request body: "fail", "timeout", "hang", "unavailable-once"
// (Docker refuses the first attempt with a 503) or anything else (echoed back as
// "echo:<body>").

export class ScriptedExecutor implements Executor {
  readonly seen: ExecutorCall[] = [];
  started = false;

  async start(): Promise<void> { this.started = true; }
  async stop(): Promise<void> { this.started = false; }
  retireRoutes(_scope?: RouteScope): void {}

  async run(req: ExecutorCall): Promise<CallOutcome> {
    this.seen.push(req);
    const startedAt = new Date();
    req.onStart?.('cold');
    const body = req.body.toString();
    if (body === 'unavailable-once' && this.seen.filter((s) => s.id === req.id).length === 1) {
      throw engineUnavailable('Docker is not answering');
    }
    const base = { kind: 'cold' as const, startedAt, resultTruncated: false, logTruncated: false, log: Buffer.from(`log of ${req.id}\n`) };
    if (body === 'hang') await this.untilAborted(req.signal);
    if (req.signal?.aborted) return { ...base, status: 'cancelled', exitCode: null, result: Buffer.alloc(0), error: 'cancelled', completedAt: new Date() };
    if (body === 'fail') return { ...base, status: 'error', exitCode: 3, result: Buffer.from('partial'), error: 'exit code 3', completedAt: new Date() };
    if (body === 'timeout') return { ...base, status: 'timeout', exitCode: null, result: Buffer.alloc(0), error: 'timed out after 1 s', completedAt: new Date() };
    return { ...base, status: 'success', exitCode: 0, result: Buffer.from(`echo:${body}`), completedAt: new Date() };
  }

  private untilAborted(signal?: CallSignal): Promise<void> {
    return new Promise((resolve) => {
      if (!signal || signal.aborted) return resolve();
      signal.addEventListener('abort', () => resolve(), { once: true });
    });
  }
}
