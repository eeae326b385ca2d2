import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiOperation,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { AuthContext } from '../common/auth-context.js';
import { CurrentAuth } from '../common/decorators/current-auth.decorator.js';
import { ErrorResponse } from '../common/error.response.js';
import { ChangePasswordDto } from '../users/dto/change-password.dto.js';
import { AuthService } from './auth.service.js';

/** Lives in auth: changing a password also ends the user's other sessions. */
@ApiTags('users')
@ApiBearerAuth()
@Controller('v1/users/me')
export class PasswordController {
  constructor(private readonly auth: AuthService) {}

  @Post('password')
  @HttpCode(204)
  @ApiOperation({ summary: 'Change my password; every other session ends' })
  @ApiNoContentResponse({ description: 'Changed' })
  @ApiBadRequestResponse({ type: ErrorResponse })
  @ApiUnauthorizedResponse({ type: ErrorResponse })
  @ApiForbiddenResponse({ type: ErrorResponse, description: 'Current password is wrong' })
  @ApiTooManyRequestsResponse({
    type: ErrorResponse,
    description: 'Too many wrong current passwords for this account (see Retry-After)',
  })
  change(@CurrentAuth() auth: AuthContext, @Body() dto: ChangePasswordDto): Promise<void> {
    return this.auth.changePassword(auth, dto);
  }
}
