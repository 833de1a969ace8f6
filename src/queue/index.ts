// The only importer of amqplib in Fresco. See each module for its contract.
export { AmqpConnection, type AmqpConnectionOptions, type ConnectionState, type DeclareContext, type DeclareFn } from './amqp-connection';
export { type BackoffOptions, backoffDelay } from '../timing';
export { AmqpCallQueue } from './call-queue';
export { type CallQueueOptions, type CallQueueTopology, callQueueNames, declareCallQueue } from './call-topology';
export { ConfirmPublisher, type ConfirmPublisherOptions, type PublishOptions } from './confirm-publisher';
export { type ConsumeOptions, type ConsumerHandle, consume, type MessageHandler, type QueueMessage } from './consumer';
export { errSummary, isPoison, isTransientFailure, PoisonMessageError, QueueUnavailableError } from './errors';
export { declareNotificationQueue, NotificationQueue, type NotificationQueueOptions } from './notification-topology';
export { parseTransportUrl, redactUrl } from './transport-url';
