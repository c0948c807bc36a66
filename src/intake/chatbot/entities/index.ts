import { ChatEvent } from './chat-event.entity';

/** The chatbot intake's entities, for src/database/entities.ts. */
export const CHATBOT_ENTITIES = [ChatEvent];
