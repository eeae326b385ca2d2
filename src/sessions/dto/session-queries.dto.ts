import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, Max, Min } from 'class-validator';

export class ListSessionsQuery {
  @ApiPropertyOptional({
    enum: ['active', 'all'],
    default: 'active',
    description: '`all` includes ended sessions (login history)',
  })
  @IsOptional()
  @IsIn(['active', 'all'])
  status: 'active' | 'all' = 'active';

  @ApiPropertyOptional({
    minimum: 1,
    maximum: 500,
    default: 100,
    description: 'At most this many sessions, newest activity first',
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit: number = 100;
}

export class RevokeSessionsQuery {
  @ApiProperty({ enum: ['others', 'all'], description: '`others` keeps the current session; `all` ends it too' })
  @IsIn(['others', 'all'])
  scope: 'others' | 'all';
}

export class RevokedResponse {
  @ApiProperty({ example: 2, description: 'Sessions that were active until this call' })
  revoked: number;
}
