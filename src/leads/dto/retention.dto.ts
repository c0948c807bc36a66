import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDate } from 'class-validator';

export class RetentionPreviewQuery {
  @ApiProperty({ description: 'The day the sweep would run, ISO 8601.', format: 'date-time' })
  @Type(() => Date) @IsDate()
  asOf: Date;
}
