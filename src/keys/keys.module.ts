import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { AppConfig } from '../config/configuration.js';
import { KeyNews } from './key-news.js';
import { KeyRotation } from './key-rotation.js';
import { KeysController } from './keys.controller.js';
import { SigningKeys } from './signing-keys.js';
import { SigningKeysRepository } from './signing-keys.repository.js';

const keyNews = {
  provide: KeyNews,
  inject: [ConfigService],
  useFactory: (config: ConfigService<AppConfig, true>) => new KeyNews(config.get('redis', { infer: true }).url),
};

/** Changes to the key set, for the service and for `npm run keys` (src/keys.ts). */
@Module({
  providers: [SigningKeysRepository, KeyRotation, keyNews],
  exports: [SigningKeysRepository, KeyRotation, KeyNews],
})
export class KeyRotationModule {}

/**
 * The signing keys of the access tokens and anything else this service signs: import it and
 * inject `SigningKeys` (`sign(payload, {typ})`, `currentKey()`, `jwks()`).
 */
@Module({
  imports: [KeyRotationModule],
  controllers: [KeysController],
  providers: [SigningKeys],
  exports: [SigningKeys],
})
export class KeysModule {}
