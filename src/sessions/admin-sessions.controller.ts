import { Controller, Delete, Get, Param, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Roles } from '../common/decorators/roles.decorator.js';
import { ApiErrors, BEARER_ERRORS } from '../common/api-errors.decorator.js';
import { RolesGuard } from '../common/guards/roles.guard.js';
import { uuidPipe } from '../common/pipes/uuid.pipe.js';
import { ListSessionsQuery, RevokedResponse } from './dto/session-queries.dto.js';
import { SessionResponse } from './dto/session.response.js';
import { SessionsService } from './sessions.service.js';

@ApiTags('admin')
@ApiBearerAuth()
@ApiErrors(BEARER_ERRORS, { 400: ['validation_failed'], 403: ['forbidden'], 404: ['not_found'] })
@Roles('admin')
@UseGuards(RolesGuard)
@Controller('v1/admin/users/:id/sessions')
export class AdminSessionsController {
  constructor(private readonly sessions: SessionsService) {}

  @Get()
  @ApiOperation({ summary: 'A user’s sessions (admin)' })
  @ApiOkResponse({ type: [SessionResponse] })
  list(@Param('id', uuidPipe) userId: string, @Query() q: ListSessionsQuery): Promise<SessionResponse[]> {
    return this.sessions.adminList(userId, q.status, q.limit);
  }

  @Delete()
  @ApiOperation({ summary: 'End every session of a user (admin)' })
  @ApiOkResponse({ type: RevokedResponse })
  revokeAll(@Param('id', uuidPipe) userId: string): Promise<RevokedResponse> {
    return this.sessions.adminRevokeAll(userId);
  }
}
