import { MailAttachment } from './mail-attachment.entity';
import { MailMessage } from './mail-message.entity';

/** The mail intake's entities, for src/database/entities.ts. */
export const MAIL_ENTITIES = [MailMessage, MailAttachment];
