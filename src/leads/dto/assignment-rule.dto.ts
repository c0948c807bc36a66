import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsIn, IsOptional, IsUUID } from 'class-validator';
import { INTAKE_SOURCES, type IntakeSource } from '../../domain/purposes';
import { ASSIGNMENT_MODES, type AssignmentMode } from '../entities/assignment-rule.entity';

export class SetAssignmentRuleDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'The form the rule is for (or name a channel).' }) @IsOptional() @IsUUID()
  formId?: string;

  @ApiPropertyOptional({ enum: INTAKE_SOURCES, description: 'The channel the rule is for (or name a form); a form’s own rule wins.' })
  @IsOptional() @IsIn(INTAKE_SOURCES, { message: `channel must be one of: ${INTAKE_SOURCES.join(', ')}` })
  channel?: IntakeSource;

  @ApiProperty({ enum: ASSIGNMENT_MODES, description: 'nobody; fixed (one user); round_robin or least_busy (among the users, active in sales).' })
  @IsIn(ASSIGNMENT_MODES, { message: `mode must be one of: ${ASSIGNMENT_MODES.join(', ')}` })
  mode: AssignmentMode;

  @ApiProperty({ type: [String], description: 'Active sales users, in turn order: one for fixed, at least one for round_robin and least_busy, none for nobody.' })
  @IsArray() @ArrayMaxSize(100) @IsUUID('all', { each: true })
  userIds: string[];
}

export class AssignmentRuleView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ nullable: true, type: String, format: 'uuid' }) formId: string | null;
  @ApiProperty({ nullable: true, type: String }) channel: string | null;
  @ApiProperty({ enum: ASSIGNMENT_MODES }) mode: AssignmentMode;
  @ApiProperty({ type: [String] }) userIds: string[];
  @ApiProperty({ format: 'date-time' }) updatedAt: Date;
}
