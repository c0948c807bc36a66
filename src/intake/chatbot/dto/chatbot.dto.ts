import { ApiProperty } from '@nestjs/swagger';

export class ChatbotEventView {
  @ApiProperty({ enum: ['accepted', 'duplicate', 'ignored'], description: '`duplicate`: this event was taken before and nothing changed; `ignored`: an event type this service does not handle.' })
  status: 'accepted' | 'duplicate' | 'ignored';

  @ApiProperty({ format: 'uuid', nullable: true, type: String, description: 'The event as stored (a capture made from it has the same id).' })
  reference: string | null;
}
