import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { LeadsRepository } from './leads.repository';
import { LeadsService } from './leads.service';
import { PersonsController } from './persons.controller';
import { PersonsService } from './persons.service';

@Module({
  imports: [AuthModule],
  controllers: [PersonsController],
  providers: [LeadsRepository, LeadsService, PersonsService],
  exports: [LeadsService, PersonsService],
})
export class LeadsModule {}
