import { EventImportChunk } from './event-import-chunk.entity';
import { EventImportRejection } from './event-import-rejection.entity';
import { EventImport } from './event-import.entity';
import { EventRegistration } from './event-registration.entity';
import { Event } from './event.entity';

/** The events feature's entities, for src/database/entities.ts. */
export const EVENT_ENTITIES = [Event, EventRegistration, EventImport, EventImportChunk, EventImportRejection];
