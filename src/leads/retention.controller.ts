import { Controller, Get, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Roles } from '../access/decorators';
import { PageQuery } from '../common/pagination';
import { RetentionPreviewQuery } from './dto/retention.dto';
import { RetentionService } from './retention.service';

@ApiTags('retention')
@Controller('retention')
@Roles('admin', 'dpo')
export class RetentionController {
  constructor(private readonly retention: RetentionService) {}

  @Get('preview')
  @ApiOperation({ summary: 'What a retention sweep on that date would remove, by channel and action; changes nothing' })
  preview(@Query() query: RetentionPreviewQuery) {
    return this.retention.preview(query.asOf);
  }

  @Get('runs')
  @ApiOperation({ summary: 'Past retention sweeps’ reports (counts per channel and action), newest first' })
  runs(@Query() query: PageQuery) {
    return this.retention.runs(query.limit, query.cursor);
  }
}
