import { Module } from '@nestjs/common';
import { AuditRepository } from './audit.repository.js';
import { AuditService } from './audit.service.js';
import { AuditSweeper } from './audit.sweeper.js';

@Module({
  providers: [AuditService, AuditRepository, AuditSweeper],
  exports: [AuditService],
})
export class AuditModule {}
