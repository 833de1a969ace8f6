import { log } from '../log';
import type { EventService } from './event-service';

/** Fires due schedule triggers every `intervalMs`; ticks never overlap. start/stop are idempotent. */
export class ScheduleTicker {
  private timer?: NodeJS.Timeout;
  private busy = false;

  constructor(private readonly events: EventService, private readonly intervalMs = 1000) {}

  start(): void {
    this.timer ??= setInterval(() => void this.tick(), this.intervalMs);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async tick(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      await this.events.fireSchedules();
    } catch (err) {
      log.warn({ err }, 'schedule tick failed; retrying on the next tick');
    } finally {
      this.busy = false;
    }
  }
}
