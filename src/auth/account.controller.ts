import { Body, Controller, Delete, HttpCode, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ThrottlerGuard } from '@nestjs/throttler';
import type { AuthContext } from '../common/auth-context.js';
import { CurrentAuth } from '../common/decorators/current-auth.decorator.js';
import { ApiErrors, BEARER_ERRORS, BODY_ERRORS } from '../common/api-errors.decorator.js';
import { AccountsService } from './accounts.service.js';
import { PasswordProofDto } from './dto/password-proof.dto.js';

/** Lives in auth: deleting an account ends its sessions and erases what every module holds of it. */
@ApiTags('users')
@ApiBearerAuth()
@Controller('v1/users/me')
export class AccountController {
  constructor(private readonly accounts: AccountsService) {}

  // Per client IP, as login: every request here costs an argon2 check, whoever's token it carries.
  @UseGuards(ThrottlerGuard)
  @Delete()
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete my account: every session ends and my personal data is erased' })
  @ApiNoContentResponse({ description: 'Deleted; the email may register again' })
  @ApiErrors(BODY_ERRORS, BEARER_ERRORS, { 403: ['invalid_credentials'], 429: ['rate_limited'] })
  delete(@CurrentAuth() auth: AuthContext, @Body() dto: PasswordProofDto): Promise<void> {
    return this.accounts.deleteAccount(auth, dto.password);
  }
}
