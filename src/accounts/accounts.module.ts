import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { AuthModule } from '../auth/auth.module';
import { LeadsModule } from '../leads/leads.module';
import { AccountsRepository } from './accounts.repository';
import { AccountsService } from './accounts.service';
import { CompaniesController } from './companies.controller';

@Module({
  imports: [AuthModule, LeadsModule, AuditModule],
  controllers: [CompaniesController],
  providers: [AccountsRepository, AccountsService],
})
export class AccountsModule {}
