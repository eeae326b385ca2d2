import { Body, Controller, Get, Header, HttpCode, Post, UseGuards } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { ThrottlerGuard } from '@nestjs/throttler';
import type { AuthContext } from '../common/auth-context.js';
import type { CheckedSession } from '../sessions/checked-session.js';
import { Client, type ClientInfo } from '../common/decorators/client-info.decorator.js';
import { CurrentAuth } from '../common/decorators/current-auth.decorator.js';
import { Public } from '../common/decorators/public.decorator.js';
import { ErrorResponse } from '../common/error.response.js';
import { TokenPairResponse } from '../sessions/dto/token-pair.response.js';
import { RegisterDto } from '../users/dto/register.dto.js';
import { UserResponse } from '../users/dto/user.response.js';
import { AuthService } from './auth.service.js';
import { LoginDto } from './dto/login.dto.js';
import { MeResponse } from './dto/me.response.js';
import { RefreshDto } from './dto/refresh.dto.js';

@ApiTags('auth')
@ApiBadRequestResponse({ type: ErrorResponse, description: 'Invalid body' })
@ApiServiceUnavailableResponse({
  type: ErrorResponse,
  description: 'Database or rate-limit store unreachable; retry after Retry-After',
})
@Controller('v1/auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Public()
  @UseGuards(ThrottlerGuard)
  @Post('register')
  @ApiOperation({ summary: 'Create an account' })
  @ApiCreatedResponse({ type: UserResponse })
  @ApiConflictResponse({ type: ErrorResponse, description: 'Email already registered' })
  @ApiTooManyRequestsResponse({ type: ErrorResponse })
  register(@Body() dto: RegisterDto): Promise<UserResponse> {
    return this.auth.register(dto);
  }

  @Public()
  @UseGuards(ThrottlerGuard)
  @Post('login')
  @HttpCode(200)
  @ApiOperation({ summary: 'Log in: starts a session for this device' })
  @ApiOkResponse({ type: TokenPairResponse })
  @ApiUnauthorizedResponse({ type: ErrorResponse, description: 'Invalid email or password' })
  @ApiTooManyRequestsResponse({ type: ErrorResponse, description: 'Too many attempts (see Retry-After)' })
  login(@Body() dto: LoginDto, @Client() client: ClientInfo): Promise<TokenPairResponse> {
    return this.auth.login(dto, client);
  }

  @Public()
  @UseGuards(ThrottlerGuard)
  @Post('refresh')
  @HttpCode(200)
  @ApiOperation({ summary: 'Rotate the refresh token and get a new pair' })
  @ApiOkResponse({ type: TokenPairResponse })
  @ApiUnauthorizedResponse({ type: ErrorResponse, description: 'Invalid, reused or ended' })
  @ApiTooManyRequestsResponse({ type: ErrorResponse })
  refresh(@Body() dto: RefreshDto): Promise<TokenPairResponse> {
    return this.auth.refresh(dto.refreshToken);
  }

  @Post('logout')
  @HttpCode(204)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'End this session' })
  @ApiNoContentResponse({ description: 'This session has ended' })
  @ApiUnauthorizedResponse({ type: ErrorResponse })
  logout(@CurrentAuth() auth: AuthContext): Promise<void> {
    return this.auth.logout(auth);
  }

  @Get('me')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Who am I, and on which session' })
  @ApiOkResponse({ type: MeResponse })
  @ApiUnauthorizedResponse({ type: ErrorResponse })
  // The body comes rendered (see SessionCheck.me): Fastify sends a string as it is.
  @Header('Content-Type', 'application/json; charset=utf-8')
  me(@CurrentAuth() auth: CheckedSession): Promise<string> {
    return this.auth.me(auth);
  }
}
