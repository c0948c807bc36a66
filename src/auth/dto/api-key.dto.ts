import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { trimmed } from '../../common/validation';
import { IsIn, IsOptional, IsString, IsUUID, Length } from 'class-validator';
import { API_KEY_CHANNELS, type ApiKeyChannel } from '../../domain/roles';

export class CreateApiKeyDto {
  @ApiProperty({ example: 'Website contact forms' })
  @Transform(trimmed) @IsString() @Length(1, 200)
  name: string;

  @ApiProperty({ enum: API_KEY_CHANNELS, description: 'The one intake channel this key may post to.' })
  @IsIn(API_KEY_CHANNELS, { message: `channel must be one of: ${API_KEY_CHANNELS.join(', ')}` })
  channel: ApiKeyChannel;

  @ApiPropertyOptional({ format: 'uuid', description: 'For a web_form key: the one form a server-side relay posts to with it (required for posting to a form).' })
  @IsOptional() @IsUUID()
  formId?: string;
}

export class ApiKeyView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() name: string;
  @ApiProperty({ enum: API_KEY_CHANNELS }) channel: ApiKeyChannel;
  @ApiProperty({ nullable: true, type: String, format: 'uuid', description: 'The form a web_form relay key posts to.' }) formId: string | null;
  @ApiProperty({ description: 'The public start of the key, to tell keys apart.' }) prefix: string;
  @ApiProperty({ nullable: true, type: String, format: 'uuid' }) createdBy: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt: Date;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) revokedAt: Date | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) lastUsedAt: Date | null;
}

export class CreatedApiKeyView extends ApiKeyView {
  @ApiProperty({ description: 'The key itself. Shown this once; only its hash is kept.' }) key: string;
}
