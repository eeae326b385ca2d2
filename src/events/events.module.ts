import { Module } from '@nestjs/common';
import { WebhookDispatcher } from './webhook.dispatcher.js';

/** Outbound delivery of the security events that SessionsService publishes. */
@Module({ providers: [WebhookDispatcher] })
export class EventsModule {}
