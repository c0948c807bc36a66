import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { LeadsModule } from '../leads/leads.module';
import { FormSubmissionController, IntakeFormsAdminController } from './forms/intake-forms.controller';
import { IntakeFormsRepository } from './forms/intake-forms.repository';
import { IntakeFormsService } from './forms/intake-forms.service';

@Module({
  imports: [AuthModule, LeadsModule],
  controllers: [IntakeFormsAdminController, FormSubmissionController],
  providers: [IntakeFormsRepository, IntakeFormsService],
  exports: [IntakeFormsService],
})
export class IntakeModule {}
