import { ApiProperty } from '@nestjs/swagger';
import { DEVICE_TYPES } from '../device.js';
import { END_REASONS, type EndReason, SESSION_STATUSES, type SessionStatus, shownEnding } from '../session-policy.js';
import type { SessionDisplay, SessionEntity } from '../session.entity.js';

const nullableString = { type: String, nullable: true } as const;

export class DeviceInfo {
  @ApiProperty({ enum: DEVICE_TYPES, example: 'desktop' })
  type: string;
  @ApiProperty({ ...nullableString, example: 'Apple' })
  vendor: string | null;
  @ApiProperty({ ...nullableString, example: 'Macintosh' })
  model: string | null;
}

export class NameVersion {
  @ApiProperty({ ...nullableString, example: 'Chrome' })
  name: string | null;
  @ApiProperty({ ...nullableString, example: '131.0.0.0' })
  version: string | null;
}

export class LocationInfo {
  @ApiProperty({ ...nullableString, description: 'ISO 3166-1 alpha-2', example: 'DE' })
  country: string | null;
  @ApiProperty({ ...nullableString, example: 'Berlin' })
  region: string | null;
  @ApiProperty({ ...nullableString, example: 'Berlin' })
  city: string | null;
}

export class SessionResponse {
  @ApiProperty({ format: 'uuid' })
  id: string;
  @ApiProperty({ description: 'True for the session of the token making this request' })
  current: boolean;
  @ApiProperty({ enum: SESSION_STATUSES })
  status: SessionStatus;
  @ApiProperty({ example: 'Chrome on macOS' })
  deviceName: string;
  @ApiProperty({ type: DeviceInfo })
  device: DeviceInfo;
  @ApiProperty({ type: NameVersion, example: { name: 'Chrome', version: '131.0.0.0' } })
  browser: NameVersion;
  @ApiProperty({ type: NameVersion, example: { name: 'macOS', version: '10.15.7' } })
  os: NameVersion;
  @ApiProperty({ ...nullableString })
  userAgent: string | null;
  @ApiProperty({ ...nullableString, example: '203.0.113.7' })
  ipAddress: string | null;
  @ApiProperty({ type: LocationInfo, nullable: true, description: 'Approximate, of the login’s address' })
  location: LocationInfo | null;
  @ApiProperty({
    ...nullableString,
    example: '198.51.100.23',
    description: 'The address the session was last used from: at login the login’s, then its refreshes’ and requests’',
  })
  lastIpAddress: string | null;
  @ApiProperty({ type: LocationInfo, nullable: true, description: 'Approximate, of `lastIpAddress`' })
  lastLocation: LocationInfo | null;
  @ApiProperty({ format: 'date-time' })
  createdAt: string;
  @ApiProperty({ format: 'date-time' })
  lastActiveAt: string;
  @ApiProperty({ format: 'date-time', description: 'createdAt + SESSION_ABSOLUTE_TTL' })
  expiresAt: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  endedAt: string | null;
  @ApiProperty({ enum: END_REASONS, nullable: true })
  endReason: EndReason | null;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** Maps a row to the API shape; a live row past its limits reads as expired, as the sweep will store it. */
export function toSessionResponse(
  s: SessionDisplay & Pick<SessionEntity, 'expiresAt' | 'lastActiveAt' | 'tokenDeleted' | 'endedAt' | 'endReason'>,
  currentId: string | null,
  now: number,
  idleTtlMs: number,
): SessionResponse {
  const { status, endedAt, endReason } = shownEnding(s, now, idleTtlMs);
  const place = (country: string | null, region: string | null, city: string | null) =>
    country !== null || region !== null || city !== null ? { country, region, city } : null;
  return {
    id: s.id,
    current: s.id === currentId,
    status,
    deviceName: s.deviceName,
    device: { type: s.deviceType, vendor: s.deviceVendor, model: s.deviceModel },
    browser: { name: s.browserName, version: s.browserVersion },
    os: { name: s.osName, version: s.osVersion },
    userAgent: s.userAgent,
    ipAddress: s.ipAddress,
    location: place(s.country, s.region, s.city),
    lastIpAddress: s.lastIpAddress,
    lastLocation: place(s.lastCountry, s.lastRegion, s.lastCity),
    createdAt: iso(s.createdAt),
    lastActiveAt: iso(s.lastActiveAt),
    expiresAt: iso(s.expiresAt),
    endedAt: endedAt === null ? null : iso(endedAt),
    endReason,
  };
}
