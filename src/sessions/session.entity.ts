import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { millis } from '../database/millis.transformer.js';
import type { EndReason } from './session-policy.js';

/** One row per login; ended rows stay as history until the retention sweep purges them. */
@Entity('sessions')
@Index('idx_sessions_user_active', ['userId', 'tokenDeleted', 'lastActiveAt'])
@Index('idx_sessions_expiry', ['tokenDeleted', 'expiresAt'])
@Index('idx_sessions_idle', ['tokenDeleted', 'lastActiveAt'])
@Index('idx_sessions_ended', ['endedAt'])
export class SessionEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ name: 'user_id', type: 'varchar', length: 36 })
  userId: string;

  @Column({ name: 'device_name', type: 'varchar', length: 100 })
  deviceName: string;

  @Column({ name: 'device_type', type: 'varchar', length: 16 })
  deviceType: string;

  @Column({ name: 'device_vendor', type: 'varchar', length: 64, nullable: true })
  deviceVendor: string | null;

  @Column({ name: 'device_model', type: 'varchar', length: 64, nullable: true })
  deviceModel: string | null;

  @Column({ name: 'browser_name', type: 'varchar', length: 64, nullable: true })
  browserName: string | null;

  @Column({ name: 'browser_version', type: 'varchar', length: 32, nullable: true })
  browserVersion: string | null;

  @Column({ name: 'os_name', type: 'varchar', length: 64, nullable: true })
  osName: string | null;

  @Column({ name: 'os_version', type: 'varchar', length: 32, nullable: true })
  osVersion: string | null;

  @Column({ name: 'user_agent', type: 'varchar', length: 512, nullable: true })
  userAgent: string | null;

  @Column({ name: 'ip_address', type: 'varchar', length: 45, nullable: true })
  ipAddress: string | null;

  @Column({ name: 'location_country', type: 'varchar', length: 2, nullable: true })
  country: string | null;

  @Column({ name: 'location_region', type: 'varchar', length: 128, nullable: true })
  region: string | null;

  @Column({ name: 'location_city', type: 'varchar', length: 128, nullable: true })
  city: string | null;

  /** The address the session was last used from (at login: the login's); moved by SessionLocations. */
  @Column({ name: 'last_ip_address', type: 'varchar', length: 45, nullable: true })
  lastIpAddress: string | null;

  @Column({ name: 'last_location_country', type: 'varchar', length: 2, nullable: true })
  lastCountry: string | null;

  @Column({ name: 'last_location_region', type: 'varchar', length: 128, nullable: true })
  lastRegion: string | null;

  @Column({ name: 'last_location_city', type: 'varchar', length: 128, nullable: true })
  lastCity: string | null;

  @Column({ name: 'created_at', type: 'bigint', transformer: millis })
  createdAt: number;

  @Column({ name: 'last_active_at', type: 'bigint', transformer: millis })
  lastActiveAt: number;

  @Column({ name: 'expires_at', type: 'bigint', transformer: millis })
  expiresAt: number;

  /** The session's tokens may no longer be used, for any reason. */
  @Column({ name: 'token_deleted', type: 'boolean', default: false })
  tokenDeleted: boolean;

  /** Ended by a logout of the user, on this device or remotely. */
  @Column({ name: 'logged_out', type: 'boolean', default: false })
  loggedOut: boolean;

  @Column({ name: 'ended_at', type: 'bigint', nullable: true, transformer: millis })
  endedAt: number | null;

  @Column({ name: 'end_reason', type: 'varchar', length: 20, nullable: true })
  endReason: EndReason | null;

  /** SHA-256 of the current refresh token; the rotation's compare-and-set guard. */
  @Column({ name: 'refresh_token_hash', type: 'varchar', length: 64 })
  refreshTokenHash: string;

  /** Random per-session seed the refresh tokens are derived from with a server key (never a token itself). */
  @Column({ name: 'refresh_seed', type: 'varchar', length: 64 })
  refreshSeed: string;

  @Column({ name: 'refresh_generation', type: 'int', default: 0 })
  refreshGeneration: number;

  @Column({ name: 'refreshed_at', type: 'bigint', transformer: millis })
  refreshedAt: number;

  /** When this session last proved the password: its login, or POST /v1/auth/reauthenticate. */
  @Column({ name: 'authenticated_at', type: 'bigint', transformer: millis })
  authenticatedAt: number;
}

/**
 * A session's shown fields, as GET /v1/auth/me and the device list show them. Only the name (a
 * rename) and the last address (SessionLocations) change after login, and both evict the session
 * from the cache, which keeps GET /v1/auth/me rendered.
 */
export type SessionDisplay = Pick<
  SessionEntity,
  | 'id'
  | 'deviceName'
  | 'deviceType'
  | 'deviceVendor'
  | 'deviceModel'
  | 'browserName'
  | 'browserVersion'
  | 'osName'
  | 'osVersion'
  | 'userAgent'
  | 'ipAddress'
  | 'country'
  | 'region'
  | 'city'
  | 'lastIpAddress'
  | 'lastCountry'
  | 'lastRegion'
  | 'lastCity'
  | 'createdAt'
>;
