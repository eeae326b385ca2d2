import { Body, Controller, Patch } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { AuthContext } from '../common/auth-context.js';
import { CurrentAuth } from '../common/decorators/current-auth.decorator.js';
import { ErrorResponse } from '../common/error.response.js';
import { UpdateUserDto } from './dto/update-user.dto.js';
import { UserResponse } from './dto/user.response.js';
import { UsersService } from './users.service.js';

@ApiTags('users')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ type: ErrorResponse, description: 'Missing, invalid or ended session' })
@Controller('v1/users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Patch('me')
  @ApiOperation({ summary: 'Update my profile' })
  @ApiOkResponse({ type: UserResponse })
  @ApiBadRequestResponse({ type: ErrorResponse })
  update(@CurrentAuth() auth: AuthContext, @Body() dto: UpdateUserDto): Promise<UserResponse> {
    return this.users.updateName(auth.userId, dto.name);
  }
}
