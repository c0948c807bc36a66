import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags, ApiTooManyRequestsResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { CurrentActor } from '../common/actor';
import { type Actor } from '../domain/actor';
import { AuthService } from './auth.service';
import { AnyStaff, ApiKeyAuth, Public } from '../access/decorators';
import { API_KEY_CHANNELS } from '../domain/roles';
import { KeyView, LoginDto, MeView, TokenView } from './dto/auth.dto';
import { UsersService } from './users.service';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly users: UsersService,
  ) {}

  @Post('login')
  @Public()
  @HttpCode(200)
  @ApiOperation({ summary: 'Sign in with e-mail and password; returns a short-lived bearer token' })
  @ApiOkResponse({ type: TokenView })
  @ApiUnauthorizedResponse({ description: 'Wrong e-mail or password (the same answer for both).' })
  @ApiTooManyRequestsResponse({ description: 'Too many failed attempts for this account or address; see Retry-After.' })
  login(@CurrentActor() actor: Actor, @Body() dto: LoginDto): Promise<TokenView> {
    return this.auth.login(actor, dto);
  }

  @Get('key')
  @ApiKeyAuth(...API_KEY_CHANNELS)
  @ApiOperation({ summary: 'For a machine client: the key it sends, as the CRM knows it (to check a set-up)' })
  @ApiOkResponse({ type: KeyView })
  async key(@CurrentActor() actor: Actor): Promise<KeyView> {
    return { id: actor.id!, channel: actor.channel! };
  }

  @Get('me')
  @AnyStaff()
  @ApiOperation({ summary: 'The signed-in user' })
  @ApiOkResponse({ type: MeView })
  async me(@CurrentActor() actor: Actor): Promise<MeView> {
    const { id, email, name, roles } = await this.users.get(actor.id!);
    return { id, email, name, roles };
  }
}
