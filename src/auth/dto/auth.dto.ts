import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length, MaxLength, MinLength } from 'class-validator';
import { ROLES, type Role } from '../../domain/roles';

export class LoginDto {
  @ApiProperty({ example: 'kari.nordmann@example.com' })
  @IsString() @MinLength(1) @MaxLength(254)
  email: string;

  @ApiProperty({ format: 'password' })
  @IsString() @MinLength(1) @MaxLength(256)
  password: string;
}

export class ChangePasswordDto {
  @ApiProperty({ format: 'password' })
  @IsString() @MinLength(1) @MaxLength(256)
  currentPassword: string;

  @ApiProperty({ format: 'password', description: 'At least 12 characters.', minLength: 12 })
  @IsString() @Length(12, 256, { message: 'newPassword must be 12 to 256 characters long' })
  newPassword: string;
}

export class TokenView {
  @ApiProperty({ description: 'A JWT to send as `Authorization: Bearer <token>`.' }) accessToken: string;
  @ApiProperty({ example: 'Bearer' }) tokenType: 'Bearer';
  @ApiProperty({ description: 'Seconds until the token expires.' }) expiresIn: number;
}

export class MeView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() email: string;
  @ApiProperty() name: string;
  @ApiProperty({ enum: ROLES, isArray: true }) roles: Role[];
}

export class KeyView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ description: 'The intake channel the key is scoped to.' }) channel: string;
}
