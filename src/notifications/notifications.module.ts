import { Module } from '@nestjs/common';
import { NotificationsService } from './notifications.service';

/** New-lead notifications: any feature that takes in a lead tells the sales team through it. */
@Module({ providers: [NotificationsService], exports: [NotificationsService] })
export class NotificationsModule {}
