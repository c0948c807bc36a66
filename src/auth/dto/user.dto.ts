import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { trimmed } from '../../common/validation';
import { Transform } from 'class-transformer';
import { ArrayMinSize, ArrayUnique, IsArray, IsBoolean, IsEmail, IsIn, IsOptional, IsString, Length, MaxLength } from 'class-validator';
import { ROLES, type Role } from '../../domain/roles';


export class CreateUserDto {
  @ApiProperty({ example: 'kari.nordmann@example.com' })
  @Transform(trimmed) @IsEmail({}, { message: 'email must be an e-mail address' }) @MaxLength(254)
  email: string;

  @ApiProperty({ example: 'Kari Nordmann' })
  @Transform(trimmed) @IsString() @Length(1, 200)
  name: string;

  @ApiProperty({ enum: ROLES, isArray: true, example: ['sales'] })
  @IsArray() @ArrayMinSize(1) @ArrayUnique() @IsIn(ROLES, { each: true, message: `each role must be one of: ${ROLES.join(', ')}` })
  roles: Role[];

  @ApiProperty({ description: 'At least 12 characters.', minLength: 12, format: 'password' })
  @IsString() @Length(12, 256, { message: 'password must be 12 to 256 characters long' })
  password: string;
}

export class UpdateUserDto {
  @ApiPropertyOptional()
  @IsOptional() @Transform(trimmed) @IsString() @Length(1, 200)
  name?: string;

  @ApiPropertyOptional({ enum: ROLES, isArray: true })
  @IsOptional() @IsArray() @ArrayMinSize(1) @ArrayUnique() @IsIn(ROLES, { each: true, message: `each role must be one of: ${ROLES.join(', ')}` })
  roles?: Role[];

  @ApiPropertyOptional({ description: 'Set a new password (at least 12 characters).', format: 'password' })
  @IsOptional() @IsString() @Length(12, 256, { message: 'password must be 12 to 256 characters long' })
  password?: string;

  @ApiPropertyOptional({ description: 'false deactivates the account: its tokens stop working at once.' })
  @IsOptional() @IsBoolean()
  active?: boolean;
}

export class UserView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() email: string;
  @ApiProperty() name: string;
  @ApiProperty({ enum: ROLES, isArray: true }) roles: Role[];
  @ApiProperty() active: boolean;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) lastLoginAt: Date | null;
  @ApiProperty({ format: 'date-time' }) createdAt: Date;
  @ApiProperty({ format: 'date-time' }) updatedAt: Date;
}

export class AssignableUserView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() name: string;
}

export class UserPage {
  @ApiProperty({ type: [UserView] }) items: UserView[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}
