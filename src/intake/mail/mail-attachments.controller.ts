import { Controller, Get, Param, ParseUUIDPipe, StreamableFile } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Roles } from '../../access/decorators';
import { CurrentActor } from '../../common/actor';
import { type Actor } from '../../domain/actor';
import { MailIntakeService, type MailFileContent } from './mail-intake.service';

const download = (file: MailFileContent) =>
  new StreamableFile(file.content, {
    type: file.contentType,
    // Always a download, never rendered in the browser: it is whatever a stranger mailed in.
    disposition: `attachment; filename*=UTF-8''${encodeURIComponent(file.filename ?? 'attachment')}`,
    length: file.content.length,
  });

/** Files that came with mail, listed on the capture (payload.attachments) or the timeline entry (details.attachments). */
@ApiTags('persons')
@Controller('persons')
@Roles('sales', 'account_manager', 'admin')
@ApiNotFoundResponse({ description: 'No such person, capture, timeline entry or file; or a file that was too large to keep.' })
export class MailAttachmentsController {
  constructor(private readonly mail: MailIntakeService) {}

  @Get(':id/captures/:captureId/attachments/:attachmentId')
  @ApiOperation({ summary: 'A file that came with the mail a capture was made from (the read is audited)' })
  @ApiOkResponse({ description: 'The file, as an attachment.' })
  async ofCapture(
    @CurrentActor() actor: Actor,
    @Param('id', ParseUUIDPipe) id: string,
    @Param('captureId', ParseUUIDPipe) captureId: string,
    @Param('attachmentId', ParseUUIDPipe) attachmentId: string,
  ): Promise<StreamableFile> {
    return download(await this.mail.file(actor, id, { captureId }, attachmentId));
  }

  @Get(':id/timeline/:activityId/attachments/:attachmentId')
  @ApiOperation({ summary: 'A file that came with a reply on the timeline (the read is audited)' })
  @ApiOkResponse({ description: 'The file, as an attachment.' })
  async ofTimelineEntry(
    @CurrentActor() actor: Actor,
    @Param('id', ParseUUIDPipe) id: string,
    @Param('activityId', ParseUUIDPipe) activityId: string,
    @Param('attachmentId', ParseUUIDPipe) attachmentId: string,
  ): Promise<StreamableFile> {
    return download(await this.mail.file(actor, id, { activityId }, attachmentId));
  }
}
