import { Global, Module } from '@nestjs/common';
import { NotificationsService } from './notifications.service';

/** Global: any feature that takes in a lead tells the sales team through it. */
@Global()
@Module({ providers: [NotificationsService], exports: [NotificationsService] })
export class NotificationsModule {}
