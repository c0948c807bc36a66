import { ApiProperty } from '@nestjs/swagger';

export class MailTakenView {
  @ApiProperty({ format: 'uuid', description: 'The mail as stored (its capture, if it made one, has the same id).' })
  reference: string;

  @ApiProperty({ enum: ['accepted', 'duplicate', 'skipped'], description: '`duplicate`: this Message-ID was taken before and nothing changed; `skipped`: an auto-reply, bounce or list mail, recorded without a lead.' })
  status: 'accepted' | 'duplicate' | 'skipped';
}

export class TakenInView {
  @ApiProperty({ format: 'uuid', description: 'The mail (its capture, if it made one, has the same id).' }) reference: string;
  @ApiProperty({ enum: ['taken'] }) status: 'taken';
}

export class SkippedMailView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ description: 'Why no lead was made: auto_submitted, delivery_report, mailing_list, no_sender, unreadable, too_large …' }) reason: string;
  @ApiProperty({ nullable: true, type: String }) fromAddress: string | null;
  @ApiProperty({ nullable: true, type: String }) subject: string | null;
  @ApiProperty({ format: 'date-time' }) receivedAt: Date;
  @ApiProperty({ description: 'The message is kept (for the quarantine period) and can be taken in by hand.' }) takeable: boolean;
}
