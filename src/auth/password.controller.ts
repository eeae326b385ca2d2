import { Body, Controller, HttpCode, Post, UseGuards } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';
import { ApiBearerAuth, ApiNoContentResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AuthContext } from '../common/auth-context.js';
import { CurrentAuth } from '../common/decorators/current-auth.decorator.js';
import { ApiErrors, BEARER_ERRORS, BODY_ERRORS } from '../common/api-errors.decorator.js';
import { ChangePasswordDto } from '../users/dto/change-password.dto.js';
import { AuthService } from './auth.service.js';

/** Lives in auth: changing a password also ends the user's other sessions. */
@ApiTags('users')
@ApiBearerAuth()
@Controller('v1/users/me')
export class PasswordController {
  constructor(private readonly auth: AuthService) {}

  // Per client IP, as login: every request here costs an argon2 check (or two), whoever's token it carries.
  @UseGuards(ThrottlerGuard)
  @Post('password')
  @HttpCode(204)
  @ApiOperation({ summary: 'Change my password; every other session ends' })
  @ApiNoContentResponse({ description: 'Changed' })
  @ApiErrors(BODY_ERRORS, BEARER_ERRORS, { 403: ['invalid_credentials'], 429: ['rate_limited'] })
  change(@CurrentAuth() auth: AuthContext, @Body() dto: ChangePasswordDto): Promise<void> {
    return this.auth.changePassword(auth, dto);
  }
}
