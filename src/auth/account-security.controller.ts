import { Body, Controller, HttpCode, Post, UseGuards } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiNoContentResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ThrottlerGuard } from '@nestjs/throttler';
import type { ErrorCode } from '../common/api-error.js';
import type { AuthContext } from '../common/auth-context.js';
import { CurrentAuth } from '../common/decorators/current-auth.decorator.js';
import { Public } from '../common/decorators/public.decorator.js';
import { ApiErrors, BEARER_ERRORS, BODY_ERRORS, PUBLIC_ERRORS } from '../common/api-errors.decorator.js';
import { AccountSecurityService } from './account-security.service.js';
import { ForgotPasswordDto, LinkTokenDto, ResetPasswordDto } from './dto/link-token.dto.js';

/** A link's token that was used, has expired, died with a password change or never existed. */
const LINK_ERRORS = { 400: ['link_invalid'] } satisfies Record<number, ErrorCode[]>;

/** The routes behind the mailed links (and asking for them); each is rate-limited per IP like login. */
@ApiTags('auth')
@UseGuards(ThrottlerGuard)
@Controller('v1/auth')
export class AccountSecurityController {
  constructor(private readonly account: AccountSecurityService) {}

  @Public()
  @Post('verify-email')
  @HttpCode(204)
  @ApiOperation({ summary: 'Verify the email with the token of the mailed link' })
  @ApiNoContentResponse({ description: 'The email is verified' })
  @ApiErrors(BODY_ERRORS, LINK_ERRORS, PUBLIC_ERRORS)
  verifyEmail(@Body() dto: LinkTokenDto): Promise<void> {
    return this.account.verifyEmail(dto.token);
  }

  @Post('verify-email/resend')
  @HttpCode(202)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Mail a new verification link (none when the email is verified already)' })
  @ApiAcceptedResponse({ description: 'Accepted; at most RESET_MAILS_PER_HOUR verification mails an hour' })
  @ApiErrors(BEARER_ERRORS, PUBLIC_ERRORS)
  resendVerification(@CurrentAuth() auth: AuthContext): Promise<void> {
    return this.account.resendVerification(auth);
  }

  @Public()
  @Post('not-me')
  @HttpCode(204)
  @ApiOperation({
    summary: '"This wasn\'t me": end the session a sign-in alert reported and mail a password-reset link',
  })
  @ApiNoContentResponse({ description: 'That session has ended (`reported`); a reset link is on its way' })
  @ApiErrors(BODY_ERRORS, LINK_ERRORS, PUBLIC_ERRORS)
  notMe(@Body() dto: LinkTokenDto): Promise<void> {
    return this.account.notMe(dto.token);
  }

  @Public()
  @Post('password/forgot')
  @HttpCode(202)
  @ApiOperation({ summary: 'Mail a password-reset link to this email, if it has an account' })
  @ApiAcceptedResponse({ description: 'Accepted, for any email: the answer never tells whether it has an account' })
  @ApiErrors(BODY_ERRORS, PUBLIC_ERRORS)
  forgotPassword(@Body() dto: ForgotPasswordDto): void {
    this.account.forgotPassword(dto.email);
  }

  @Public()
  @Post('password/reset')
  @HttpCode(204)
  @ApiOperation({ summary: 'Set a new password with the token of the mailed reset link; every session ends' })
  @ApiNoContentResponse({ description: 'The password is set; every session has ended (`password_reset`)' })
  @ApiErrors(BODY_ERRORS, LINK_ERRORS, PUBLIC_ERRORS)
  resetPassword(@Body() dto: ResetPasswordDto): Promise<void> {
    return this.account.resetPassword(dto.token, dto.newPassword);
  }
}
