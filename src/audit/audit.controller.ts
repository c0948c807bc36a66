import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Roles } from '../access/decorators';
import { AuditService } from './audit.service';
import { AuditPage, AuditQuery } from './dto/audit.dto';

@ApiTags('audit')
@Controller('audit')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @Roles('admin', 'dpo')
  @ApiOperation({ summary: 'Search the audit log by entity, actor, action and time range, newest first' })
  @ApiOkResponse({ type: AuditPage })
  find(@Query() query: AuditQuery): Promise<AuditPage> {
    return this.audit.query(query);
  }
}
