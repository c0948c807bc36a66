import { Controller, Get, Header, HttpCode, Param, ParseUUIDPipe, Post, Query, Res, StreamableFile } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBody, ApiConflictResponse, ApiConsumes, ApiCreatedResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Roles } from '../access/decorators';
import { CurrentActor } from '../common/actor';
import { type Actor } from '../domain/actor';
import { StreamedForm, StreamedMultipart, type UploadForm } from '../common/multipart';
import { ImportListQuery, ImportPage, ImportUploadForm, ImportUploadQuery, ImportView } from './dto/event-import.dto';
import { EventImportsService, FORM_ROOM_BYTES, MAX_IMPORT_FILE_BYTES } from './event-imports.service';

@ApiTags('events')
@Controller('events/:id/imports')
@Roles('event_staff', 'admin')
@ApiNotFoundResponse({ description: 'No such event or import.' })
export class EventImportsController {
  constructor(private readonly imports: EventImportsService) {}

  @Post()
  // The upload is read by the service, after the guards, straight into storage (never whole in memory).
  @StreamedMultipart(MAX_IMPORT_FILE_BYTES + FORM_ROOM_BYTES)
  @ApiConsumes('multipart/form-data')
  @ApiBody({ type: ImportUploadForm })
  @ApiOperation({ summary: 'Upload an attendee list (CSV or XLSX): a dry run unless dryRun=false, then the import runs in the background' })
  @ApiCreatedResponse({ type: ImportView, description: 'Dry run: what the import would do, every rejected line with its reason.' })
  @ApiAcceptedResponse({ type: ImportView, description: 'The import is queued; poll it for progress.' })
  @ApiOkResponse({ type: ImportView, description: 'This file (with this mapping) was uploaded for this event before: that import.' })
  async upload(
    @CurrentActor() actor: Actor,
    @Param('id', ParseUUIDPipe) id: string,
    @Query() query: ImportUploadQuery,
    @StreamedForm({ files: 1, fileSize: MAX_IMPORT_FILE_BYTES, fields: 20, parts: 40 }) form: UploadForm | null,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ImportView> {
    const { status, view } = await this.imports.upload(actor, id, form, query.dryRun !== 'false');
    void reply.status(status).header('Location', view.links.self);
    return view;
  }

  @Get()
  @ApiOperation({ summary: 'The event’s imports, newest first' })
  @ApiOkResponse({ type: ImportPage })
  list(@Param('id', ParseUUIDPipe) id: string, @Query() query: ImportListQuery): Promise<ImportPage> {
    return this.imports.list(id, query.limit, query.cursor);
  }

  @Get(':importId')
  @ApiOperation({ summary: 'An import: status, progress (processed/total), counts, rejected lines' })
  @ApiOkResponse({ type: ImportView })
  get(@Param('id', ParseUUIDPipe) id: string, @Param('importId', ParseUUIDPipe) importId: string): Promise<ImportView> {
    return this.imports.get(id, importId);
  }

  @Post(':importId/run')
  @HttpCode(202)
  @ApiOperation({ summary: 'Import a dry-run upload (or retry a failed or interrupted one)' })
  @ApiAcceptedResponse({ type: ImportView })
  @ApiConflictResponse({ description: 'Imported already, or the stored file was deleted.' })
  run(@CurrentActor() actor: Actor, @Param('id', ParseUUIDPipe) id: string, @Param('importId', ParseUUIDPipe) importId: string): Promise<ImportView> {
    return this.imports.start(actor, id, importId);
  }

  @Get(':importId/rejected.csv')
  @Header('Cache-Control', 'no-store')
  @ApiProduces('text/csv')
  @ApiOperation({ summary: 'Every rejected line: line number, reason, what to fix, and the line as read' })
  async rejected(@Param('id', ParseUUIDPipe) id: string, @Param('importId', ParseUUIDPipe) importId: string): Promise<StreamableFile> {
    const { fileName, stream } = await this.imports.rejectedCsv(id, importId);
    return new StreamableFile(stream, { type: 'text/csv; charset=utf-8', disposition: `attachment; filename="${fileName}"` });
  }
}
