import fs from 'node:fs';
import assert from 'node:assert/strict';
import path from 'node:path';
import { decodeNotification } from '../../../src/events/envelope';
import { normalizeNotification } from '../../../src/events/normalize';
import type { RoutedEvent } from '../../../src/events/types';
import { FIXTURES_DIR } from '../../helpers/openstack';

// The OpenStack fixtures captured from real services (test/fixtures), parsed as the tests use them.

/** One AMQP delivery as the capture recorded it. */
export interface CapturedDelivery {
  fields: { exchange: string; routingKey: string };
  properties: { contentType?: string; contentEncoding?: string; messageId?: string };
  content: string;
  message: Record<string, unknown>;
}

export interface SwiftFixture {
  file: string;
  request: { method: string; url: string; user: string };
  response: { status: number };
  notifications: CapturedDelivery[];
}

/** Every swift-notification-*.json fixture, parsed. */
export function swiftFixtures(): SwiftFixture[] {
  return fs.readdirSync(FIXTURES_DIR)
    .filter((f) => /^swift-notification-.*\.json$/.test(f))
    .sort()
    .map((file) => ({ file, ...JSON.parse(fs.readFileSync(path.join(FIXTURES_DIR, file), 'utf8')) }));
}

/** A fixture file parsed as JSON. */
export function fixture<T = Record<string, unknown>>(name: string): T {
  return JSON.parse(fs.readFileSync(path.join(FIXTURES_DIR, name), 'utf8')) as T;
}

/** decodeNotification's props for a captured delivery. */
export function propsOf(d: CapturedDelivery) {
  return { ...d.properties, exchange: d.fields.exchange, routingKey: d.fields.routingKey };
}

/** Decodes and normalises every notification of a capture. */
export function routedOf(f: SwiftFixture): RoutedEvent[] {
  return f.notifications.map((d) => {
    const dec = decodeNotification(Buffer.from(d.content), propsOf(d));
    assert.ok(dec.ok, `${f.file}: ${JSON.stringify(dec)}`);
    const r = normalizeNotification(dec.notification);
    assert.ok(r.ok, `${f.file}: ${JSON.stringify(r)}`);
    return r;
  });
}
