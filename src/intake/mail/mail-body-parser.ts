import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import type { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';

export const RAW_MAIL_TYPE = 'message/rfc822';

/**
 * Teaches the HTTP server `message/rfc822` bodies: the raw message as a Buffer, up to
 * MAIL_MESSAGE_MAX_BYTES (beyond it Fastify answers 413 before anything is read into memory).
 * Registered with the intake module, before the server starts listening.
 */
@Injectable()
export class MailBodyParser implements OnModuleInit {
  constructor(
    private readonly host: HttpAdapterHost,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    const fastify = this.host.httpAdapter?.getInstance<FastifyInstance>();
    if (!fastify || fastify.hasContentTypeParser(RAW_MAIL_TYPE)) return;
    fastify.addContentTypeParser(RAW_MAIL_TYPE, { parseAs: 'buffer', bodyLimit: this.config.MAIL_MESSAGE_MAX_BYTES }, (_request, body, done) => done(null, body));
  }
}
