import { apiError } from '../common/api-error.js';
import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { Public } from '../common/decorators/public.decorator.js';
import { ApiErrors } from '../common/api-errors.decorator.js';
import { DatabaseReadiness } from './database-readiness.js';

const NOT_READY = {
  schema: 'Database schema is not at the latest migration',
  writes: 'Database does not accept writes',
} as const;

@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly db: TypeOrmHealthIndicator,
    private readonly readiness: DatabaseReadiness,
  ) {}

  @Get()
  @ApiOperation({
    summary:
      'Readiness: 200 when the database answers, its schema is at the latest migration and it accepts writes; 503 when not',
  })
  @ApiOkResponse({
    schema: { type: 'object', required: ['status'], properties: { status: { type: 'string', example: 'ok' } } },
  })
  @ApiErrors({ 503: ['service_unavailable'] })
  async ready(): Promise<{ status: 'ok' }> {
    let problem: keyof typeof NOT_READY | undefined;
    try {
      await this.health.check([() => this.db.pingCheck('database', { timeout: 1500 })]);
      problem = await this.readiness.check();
    } catch {
      throw apiError(503, 'service_unavailable', 'Database is not answering');
    }
    if (problem) throw apiError(503, 'service_unavailable', NOT_READY[problem]);
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
