import { apiError } from '../common/api-error.js';
import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { Public } from '../common/decorators/public.decorator.js';
import { ApiErrors } from '../common/api-errors.decorator.js';

@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly db: TypeOrmHealthIndicator,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Readiness: 200 when the database answers, 503 when not' })
  @ApiOkResponse({
    schema: { type: 'object', required: ['status'], properties: { status: { type: 'string', example: 'ok' } } },
  })
  @ApiErrors({ 503: ['service_unavailable'] })
  async ready(): Promise<{ status: 'ok' }> {
    try {
      await this.health.check([() => this.db.pingCheck('database', { timeout: 1500 })]);
    } catch {
      throw apiError(503, 'service_unavailable', 'Database is not answering');
    }
    return { status: 'ok' };
  }

  @Get('live')
  @ApiOperation({ summary: 'Liveness: the process answers' })
  @ApiOkResponse({
    schema: { type: 'object', required: ['status'], properties: { status: { type: 'string', example: 'ok' } } },
  })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }
}
