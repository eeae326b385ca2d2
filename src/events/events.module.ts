import { Module } from '@nestjs/common';
import { OutboxModule } from '../outbox/outbox.module.js';
import { WebhookChannel } from './webhook.channel.js';

/** The webhook: an outbox channel for the security events that the sessions module writes (SessionEvents). */
@Module({ imports: [OutboxModule], providers: [WebhookChannel] })
export class EventsModule {}
