import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { LeadsModule } from '../leads/leads.module';
import { PrivacyRequestsController } from './privacy-requests.controller';

@Module({
  imports: [AuthModule, LeadsModule],
  controllers: [PrivacyRequestsController],
})
export class PrivacyModule {}
