// The event layer's public surface: pure decoding, normalisation and matching (no I/O).
export * from './types';
export { decodeNotification, parseOsloTimestamp, DEFAULT_MAX_NOTIFICATION_BYTES } from './envelope';
export type { DeliveryProps, DecodeOptions } from './envelope';
export { normalizeNotification, normalizeGeneric, projectOf } from './normalize';
export { normalizeSwift, isSwiftNotification, SWIFT_EVENT_TYPE } from './swift';
export { decodeSwiftName } from './swift-names';
export { matchTriggers, swiftAccepts, notificationAccepts } from './match';
export { globMatch } from './glob';
export * from './filters';
export * from './schedule';
export * from './aodh';
