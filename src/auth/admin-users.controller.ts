import { Controller, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Roles } from '../common/decorators/roles.decorator.js';
import { ApiErrors, BEARER_ERRORS } from '../common/api-errors.decorator.js';
import { RolesGuard } from '../common/guards/roles.guard.js';
import { uuidPipe } from '../common/pipes/uuid.pipe.js';
import { AccountsService } from './accounts.service.js';

/** Lives in auth: disabling an account ends its sessions and its mailed links. No recent-authentication check. */
@ApiTags('admin')
@ApiBearerAuth()
@ApiErrors(BEARER_ERRORS, { 400: ['validation_failed'], 403: ['forbidden'], 404: ['not_found'] })
@Roles('admin')
@UseGuards(RolesGuard)
@Controller('v1/admin/users/:id')
export class AdminUsersController {
  constructor(private readonly accounts: AccountsService) {}

  @Post('disable')
  @HttpCode(204)
  @ApiOperation({ summary: 'Disable an account: every session ends (`admin`), logins are refused (admin)' })
  @ApiNoContentResponse({ description: 'Disabled (repeatable)' })
  disable(@Param('id', uuidPipe) userId: string): Promise<void> {
    return this.accounts.disable(userId);
  }

  @Post('enable')
  @HttpCode(204)
  @ApiOperation({ summary: 'Enable a disabled account again (admin)' })
  @ApiNoContentResponse({ description: 'Enabled (repeatable)' })
  enable(@Param('id', uuidPipe) userId: string): Promise<void> {
    return this.accounts.enable(userId);
  }
}
