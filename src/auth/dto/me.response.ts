import { ApiProperty } from '@nestjs/swagger';
import { SessionResponse } from '../../sessions/dto/session.response.js';
import { UserResponse } from '../../users/dto/user.response.js';

export class MeResponse {
  @ApiProperty({ type: UserResponse })
  user: UserResponse;

  @ApiProperty({ type: SessionResponse })
  session: SessionResponse;
}
