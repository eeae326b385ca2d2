import { Controller, Delete, Get, HttpCode, Param, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { AuthContext } from '../common/auth-context.js';
import { CurrentAuth } from '../common/decorators/current-auth.decorator.js';
import { ErrorResponse } from '../common/error.response.js';
import { uuidPipe } from '../common/pipes/uuid.pipe.js';
import { ListSessionsQuery, RevokedResponse, RevokeSessionsQuery } from './dto/session-queries.dto.js';
import { SessionResponse } from './dto/session.response.js';
import { SessionsService } from './sessions.service.js';

@ApiTags('sessions')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ type: ErrorResponse, description: 'Missing, invalid or ended session' })
@Controller('v1/sessions')
export class SessionsController {
  constructor(private readonly sessions: SessionsService) {}

  @Get()
  @ApiOperation({ summary: 'My sessions (devices), newest activity first' })
  @ApiOkResponse({ type: [SessionResponse] })
  @ApiBadRequestResponse({ type: ErrorResponse })
  list(@CurrentAuth() auth: AuthContext, @Query() q: ListSessionsQuery): Promise<SessionResponse[]> {
    return this.sessions.list(auth.userId, auth.sessionId, q.status, q.limit);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One of my sessions, active or ended' })
  @ApiOkResponse({ type: SessionResponse })
  @ApiBadRequestResponse({ type: ErrorResponse, description: 'Not a UUID' })
  @ApiNotFoundResponse({ type: ErrorResponse, description: 'Unknown, or another user’s' })
  get(@CurrentAuth() auth: AuthContext, @Param('id', uuidPipe) id: string): Promise<SessionResponse> {
    return this.sessions.get(auth, id);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Log a device out (idempotent)' })
  @ApiNoContentResponse({ description: 'That session has ended' })
  @ApiBadRequestResponse({ type: ErrorResponse, description: 'Not a UUID' })
  @ApiNotFoundResponse({ type: ErrorResponse, description: 'Unknown, or another user’s' })
  revoke(@CurrentAuth() auth: AuthContext, @Param('id', uuidPipe) id: string): Promise<void> {
    return this.sessions.revoke(auth, id);
  }

  @Delete()
  @ApiOperation({ summary: 'Log out all other devices, or all devices' })
  @ApiOkResponse({ type: RevokedResponse })
  @ApiBadRequestResponse({ type: ErrorResponse, description: 'scope missing or not others|all' })
  revokeAll(@CurrentAuth() auth: AuthContext, @Query() q: RevokeSessionsQuery): Promise<RevokedResponse> {
    return this.sessions.revokeAll(auth, q.scope);
  }
}
