import { ApiProperty } from '@nestjs/swagger';
import type { UserEntity } from '../user.entity.js';

export class UserResponse {
  @ApiProperty({ format: 'uuid', example: '0b6f7c1e-3d5a-4a8e-9f0e-1c2d3e4f5a6b' })
  id: string;

  @ApiProperty({ example: 'user@example.com' })
  email: string;

  // Always present (null until set), so required and nullable: generated clients then type it `string | null`.
  @ApiProperty({ type: String, nullable: true, example: 'Ada Lovelace' })
  name: string | null;

  @ApiProperty({ description: 'Whether the owner proved the address through the mailed link', example: true })
  emailVerified: boolean;

  @ApiProperty({ type: [String], example: ['user'] })
  roles: string[];

  @ApiProperty({ format: 'date-time' })
  createdAt: string;
}

export function toUserResponse(
  user: Pick<UserEntity, 'id' | 'email' | 'name' | 'emailVerifiedAt' | 'createdAt'>,
  roles: string[],
): UserResponse {
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    emailVerified: user.emailVerifiedAt !== null,
    roles,
    createdAt: new Date(user.createdAt).toISOString(),
  };
}
