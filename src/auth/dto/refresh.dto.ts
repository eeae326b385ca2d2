import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength, MinLength } from 'class-validator';

export class RefreshDto {
  @ApiProperty({ description: 'The refresh token of the last TokenPair (opaque)' })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  refreshToken: string;
}
