import { Module } from '@nestjs/common';
import { WebhookDispatcher } from './webhook.dispatcher.js';

/** Outbound delivery of the security events that the sessions module publishes (SessionEvents). */
@Module({ providers: [WebhookDispatcher] })
export class EventsModule {}
