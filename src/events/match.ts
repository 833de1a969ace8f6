import { globMatch } from './glob';
import { DEFAULT_SWIFT_METHODS } from './filters';
import type { MatchableTrigger, NotificationFilter, RoutedEvent, SwiftEventData, SwiftFilter } from './types';

// Which triggers an event fires. Project scoping is absolute: a trigger only ever sees events of
// its own project, and Swift events only when the request was that project's own (docs/api.md, Triggers:
// never for a request that was not the project's own).

/** The enabled triggers of the event's project whose type and filter accept the event. */
export function matchTriggers<T extends MatchableTrigger>(routed: RoutedEvent, triggers: readonly T[]): T[] {
  return triggers.filter((t) => t.enabled && t.projectId === routed.event.project_id && accepts(t, routed));
}

function accepts(t: MatchableTrigger, routed: RoutedEvent): boolean {
  if (t.type === 'swift') return swiftAccepts(t.filter as Partial<SwiftFilter>, routed);
  if (t.type === 'notification') return notificationAccepts(t.filter as NotificationFilter, routed);
  // Alarm triggers fire from their callback URL and schedule triggers from the clock, never from AMQP.
  return false;
}

/** True when a Swift event passes a swift trigger's filter (object events of own, apparently successful requests). */
export function swiftAccepts(filter: Partial<SwiftFilter>, routed: RoutedEvent): boolean {
  if (routed.event.source !== 'swift') return false;
  const d = routed.event.data as SwiftEventData;
  if (d.object === null || !d.own_request || d.suspected_failure) return false;
  const methods: readonly string[] = filter.methods ?? DEFAULT_SWIFT_METHODS;
  if (!methods.includes(d.method)) return false;
  if (filter.container !== undefined && filter.container !== d.container) return false;
  if (filter.prefix !== undefined && !d.object.startsWith(filter.prefix)) return false;
  return filter.suffix === undefined || d.object.endsWith(filter.suffix);
}

/** True when a notification passes a notification trigger's filter; Swift events count too, if the project's own. */
export function notificationAccepts(filter: NotificationFilter, routed: RoutedEvent): boolean {
  const { event } = routed;
  if (event.source === 'swift' && !(event.data as SwiftEventData).own_request) return false;
  if (event.source !== 'swift' && event.source !== 'notification') return false;
  if (filter.exchange !== undefined && filter.exchange !== routed.exchange) return false;
  if (filter.event_type !== undefined && !globMatch(filter.event_type, event.event_type)) return false;
  return filter.publisher_id === undefined || globMatch(filter.publisher_id, routed.publisherId);
}
