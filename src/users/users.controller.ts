import { Body, Controller, Patch } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AuthContext } from '../common/auth-context.js';
import { CurrentAuth } from '../common/decorators/current-auth.decorator.js';
import { ApiErrors, BEARER_ERRORS, BODY_ERRORS } from '../common/api-errors.decorator.js';
import { UpdateUserDto } from './dto/update-user.dto.js';
import { UserResponse } from './dto/user.response.js';
import { UsersService } from './users.service.js';

@ApiTags('users')
@ApiBearerAuth()
@ApiErrors(BEARER_ERRORS)
@Controller('v1/users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Patch('me')
  @ApiOperation({ summary: 'Update my profile' })
  @ApiOkResponse({ type: UserResponse })
  @ApiErrors(BODY_ERRORS)
  update(@CurrentAuth() auth: AuthContext, @Body() dto: UpdateUserDto): Promise<UserResponse> {
    return this.users.updateName(auth.userId, dto.name);
  }
}
