import { Module } from '@nestjs/common';
import { OutboxRelay } from './outbox-relay.js';
import { Outbox } from './outbox.js';

/**
 * The transactional outbox and its relay. Not global: its shutdown (which may still write) runs
 * before the database module closes the connection.
 */
@Module({ providers: [Outbox, OutboxRelay], exports: [Outbox, OutboxRelay] })
export class OutboxModule {}
