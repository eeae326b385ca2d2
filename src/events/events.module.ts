import { Module } from '@nestjs/common';
import { KeysModule } from '../keys/keys.module.js';
import { OutboxModule } from '../outbox/outbox.module.js';
import { SetChannel } from './set.channel.js';
import { WebhookChannel } from './webhook.channel.js';

/**
 * The outbox channels for the security events that the sessions module writes (SessionEvents):
 * the webhook, and the Security Event Tokens pushed to SET_RECEIVERS (signed with SigningKeys).
 */
@Module({ imports: [OutboxModule, KeysModule], providers: [WebhookChannel, SetChannel] })
export class EventsModule {}
