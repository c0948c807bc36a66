import { Module } from '@nestjs/common';
import { PolicyService } from './policy.service';

/** The privacy policy as versioned data, available everywhere: intake, retention and consent all read it. */
@Module({
  providers: [PolicyService],
  exports: [PolicyService],
})
export class PolicyModule {}
