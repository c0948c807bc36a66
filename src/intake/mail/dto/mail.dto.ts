import { ApiProperty } from '@nestjs/swagger';

export class MailTakenView {
  @ApiProperty({ format: 'uuid', description: 'The mail as stored (its capture, if it made one, has the same id).' })
  reference: string;

  @ApiProperty({ enum: ['accepted', 'duplicate', 'skipped'], description: '`duplicate`: this Message-ID was taken before and nothing changed; `skipped`: an auto-reply, bounce or list mail, recorded without a lead.' })
  status: 'accepted' | 'duplicate' | 'skipped';
}
