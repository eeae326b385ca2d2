import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { AuthContext } from '../common/auth-context.js';
import { CurrentAuth } from '../common/decorators/current-auth.decorator.js';
import { ApiErrors, BEARER_ERRORS, BODY_ERRORS } from '../common/api-errors.decorator.js';
import { uuidPipe } from '../common/pipes/uuid.pipe.js';
import { ListSessionsQuery, RevokedResponse, RevokeSessionsQuery } from './dto/session-queries.dto.js';
import { RenameSessionDto } from './dto/rename-session.dto.js';
import { SessionResponse } from './dto/session.response.js';
import { RefreshCookie } from './refresh-cookie.js';
import { SessionsService } from './sessions.service.js';

@ApiTags('sessions')
@ApiBearerAuth()
@ApiErrors(BEARER_ERRORS, { 400: ['validation_failed'] })
@Controller('v1/sessions')
export class SessionsController {
  constructor(
    private readonly sessions: SessionsService,
    private readonly cookie: RefreshCookie,
  ) {}

  @Get()
  @ApiOperation({ summary: 'My sessions (devices), newest activity first' })
  @ApiOkResponse({ type: [SessionResponse] })
  list(@CurrentAuth() auth: AuthContext, @Query() q: ListSessionsQuery): Promise<SessionResponse[]> {
    return this.sessions.list(auth.userId, auth.sessionId, q.status, q.limit);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One of my sessions, active or ended' })
  @ApiOkResponse({ type: SessionResponse })
  @ApiErrors({ 404: ['not_found'] })
  get(@CurrentAuth() auth: AuthContext, @Param('id', uuidPipe) id: string): Promise<SessionResponse> {
    return this.sessions.get(auth, id);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Rename one of my devices' })
  @ApiOkResponse({ type: SessionResponse })
  @ApiErrors(BODY_ERRORS, { 404: ['not_found'], 409: ['session_ended'] })
  rename(
    @CurrentAuth() auth: AuthContext,
    @Param('id', uuidPipe) id: string,
    @Body() dto: RenameSessionDto,
  ): Promise<SessionResponse> {
    return this.sessions.rename(auth, id, dto.deviceName);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Log a device out (idempotent); another device than this one needs a recent password proof',
  })
  @ApiNoContentResponse({ description: 'That session has ended' })
  @ApiErrors({ 403: ['reauth_required'], 404: ['not_found'] })
  async revoke(
    @CurrentAuth() auth: AuthContext,
    @Param('id', uuidPipe) id: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<void> {
    await this.sessions.revoke(auth, id);
    if (id === auth.sessionId) this.cookie.clear(reply);
  }

  @Delete()
  @ApiOperation({ summary: 'Log out all other devices, or all devices; needs a recent password proof' })
  @ApiOkResponse({ type: RevokedResponse })
  @ApiErrors({ 403: ['reauth_required'] })
  async revokeAll(
    @CurrentAuth() auth: AuthContext,
    @Query() q: RevokeSessionsQuery,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<RevokedResponse> {
    const revoked = await this.sessions.revokeAll(auth, q.scope);
    if (q.scope === 'all') this.cookie.clear(reply);
    return revoked;
  }
}
