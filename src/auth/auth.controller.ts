import { Body, Controller, Get, Header, HttpCode, HttpException, Post, Req, Res, UseGuards } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiHeader,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { ThrottlerGuard } from '@nestjs/throttler';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuthContext } from '../common/auth-context.js';
import type { CheckedSession } from '../sessions/checked-session.js';
import { Client, type ClientInfo } from '../common/decorators/client-info.decorator.js';
import { CurrentAuth } from '../common/decorators/current-auth.decorator.js';
import { Public } from '../common/decorators/public.decorator.js';
import { ApiErrors, BEARER_ERRORS, BODY_ERRORS, PUBLIC_ERRORS } from '../common/api-errors.decorator.js';
import { TokenPairResponse } from '../sessions/dto/token-pair.response.js';
import { RefreshCookie } from '../sessions/refresh-cookie.js';
import { RegisterDto } from '../users/dto/register.dto.js';
import { UserResponse } from '../users/dto/user.response.js';
import { AuthService } from './auth.service.js';
import { LoginDto } from './dto/login.dto.js';
import { MeResponse } from './dto/me.response.js';
import { PasswordProofDto } from './dto/password-proof.dto.js';
import { RefreshDto } from './dto/refresh.dto.js';

@ApiTags('auth')
@Controller('v1/auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly cookie: RefreshCookie,
  ) {}

  @Public()
  @UseGuards(ThrottlerGuard)
  @Post('register')
  @ApiOperation({ summary: 'Create an account' })
  @ApiCreatedResponse({ type: UserResponse })
  @ApiErrors(BODY_ERRORS, { 409: ['email_taken'] }, PUBLIC_ERRORS)
  register(@Body() dto: RegisterDto): Promise<UserResponse> {
    return this.auth.register(dto);
  }

  @Public()
  @UseGuards(ThrottlerGuard)
  @Post('login')
  @HttpCode(200)
  @ApiOperation({ summary: 'Log in: starts a session for this device' })
  @ApiOkResponse({ type: TokenPairResponse })
  @ApiErrors(BODY_ERRORS, { 401: ['invalid_credentials'], 403: ['account_disabled'] }, PUBLIC_ERRORS)
  async login(
    @Body() dto: LoginDto,
    @Client() client: ClientInfo,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TokenPairResponse> {
    return this.cookie.deliver(reply, await this.auth.login(dto, client), dto.refreshTokenIn);
  }

  @Public()
  @UseGuards(ThrottlerGuard)
  @Post('refresh')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Rotate the refresh token and get a new pair',
    description:
      'The refresh token comes from the body, or, without one, from the `__Host-ds_refresh` cookie: then the ' +
      "request needs `X-CSRF-Protection: 1` and, when it sends an Origin, PUBLIC_URL's or one of CORS_ORIGINS " +
      '(else 403 `csrf_rejected`), and the new token goes back into the cookie.',
  })
  @ApiHeader({ name: 'X-CSRF-Protection', required: false, description: '`1`; required when the cookie is read' })
  @ApiOkResponse({ type: TokenPairResponse })
  @ApiErrors(
    BODY_ERRORS,
    { 401: ['refresh_invalid', 'refresh_reused', 'session_ended'], 403: ['csrf_rejected'] },
    PUBLIC_ERRORS,
  )
  async refresh(
    @Body() dto: RefreshDto,
    @Req() request: FastifyRequest,
    @Client() client: ClientInfo,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TokenPairResponse> {
    const presented = this.cookie.presented(request, dto.refreshToken);
    try {
      const issued = await this.auth.refresh(presented.token, client.ip);
      return this.cookie.deliver(reply, issued, presented.from === 'cookie' ? 'cookie' : dto.refreshTokenIn);
    } catch (e) {
      // A cookie that can no longer refresh anything is dropped, so the browser stops sending it.
      if (presented.from === 'cookie' && e instanceof HttpException && e.getStatus() === 401) this.cookie.forget(reply);
      throw e;
    }
  }

  @Post('logout')
  @HttpCode(204)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'End this session' })
  @ApiNoContentResponse({ description: 'This session has ended' })
  @ApiErrors(BEARER_ERRORS)
  async logout(@CurrentAuth() auth: AuthContext, @Res({ passthrough: true }) reply: FastifyReply): Promise<void> {
    await this.auth.logout(auth);
    this.cookie.clear(reply);
  }

  // Per client IP, as login: every request here costs an argon2 check, whoever's token it carries.
  @UseGuards(ThrottlerGuard)
  @Post('reauthenticate')
  @HttpCode(204)
  @ApiBearerAuth()
  @ApiOperation({
    summary: 'Prove the password again: for REAUTH_MAX_AGE this session may end other sessions and delete the account',
  })
  @ApiNoContentResponse({ description: 'Proved; the session counts as recently authenticated' })
  @ApiErrors(BODY_ERRORS, BEARER_ERRORS, { 403: ['invalid_credentials'], 429: ['rate_limited'] })
  reauthenticate(@CurrentAuth() auth: AuthContext, @Body() dto: PasswordProofDto): Promise<void> {
    return this.auth.reauthenticate(auth, dto.password);
  }

  @Get('me')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Who am I, and on which session' })
  @ApiOkResponse({ type: MeResponse })
  @ApiErrors(BEARER_ERRORS)
  // The body comes rendered (see SessionCheck.me): Fastify sends a string as it is.
  @Header('Content-Type', 'application/json; charset=utf-8')
  me(@CurrentAuth() auth: CheckedSession): Promise<string> {
    return this.auth.me(auth);
  }
}
