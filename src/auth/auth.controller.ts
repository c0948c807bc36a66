import { Body, Controller, Delete, Get, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import { ApiCookieAuth, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags, ApiTooManyRequestsResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { CurrentActor } from '../common/actor';
import { type Actor } from '../domain/actor';
import { AuthService } from './auth.service';
import { AnyStaff, ApiKeyAuth, Public } from '../access/decorators';
import { API_KEY_CHANNELS } from '../domain/roles';
import { ChangePasswordDto, KeyView, LoginDto, MeView, TokenView } from './dto/auth.dto';
import { UsersService } from './users.service';

export const SESSION_COOKIE = 'crm_session';
const SESSION_PATH = '/api/auth/session';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly users: UsersService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * The refresh token rides in a cookie the page's scripts cannot read (HttpOnly), sent only to
   * the session routes (its path) and only from the console's own pages (SameSite=Strict).
   */
  private setSession(reply: FastifyReply, refreshToken: string): void {
    void reply.setCookie(SESSION_COOKIE, refreshToken, {
      path: SESSION_PATH, httpOnly: true, sameSite: 'strict', secure: this.config.NODE_ENV !== 'development', maxAge: this.config.REFRESH_TOKEN_TTL_SECONDS,
    });
  }

  @Post('login')
  @Public()
  @HttpCode(200)
  @ApiOperation({ summary: 'Sign in with e-mail and password; returns a short-lived bearer token, and sets the session cookie that renews it' })
  @ApiOkResponse({ type: TokenView })
  @ApiUnauthorizedResponse({ description: 'Wrong e-mail or password (the same answer for both).' })
  @ApiTooManyRequestsResponse({ description: 'Too many failed attempts for this account or address; see Retry-After.' })
  async login(@CurrentActor() actor: Actor, @Body() dto: LoginDto, @Res({ passthrough: true }) reply: FastifyReply): Promise<TokenView> {
    const { view, refreshToken } = await this.auth.login(actor, dto);
    this.setSession(reply, refreshToken);
    return view;
  }

  @Post('session/refresh')
  @Public()
  @HttpCode(200)
  @ApiCookieAuth(SESSION_COOKIE)
  @ApiOperation({ summary: 'A new access token from the session cookie, which is rotated (a rotated one used again ends the whole sign-in)' })
  @ApiOkResponse({ type: TokenView })
  @ApiUnauthorizedResponse({ description: 'No session, or it ended (signed out, expired, password or roles changed, deactivated, or its token reused).' })
  async refresh(@CurrentActor() actor: Actor, @Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<TokenView> {
    const { view, refreshToken } = await this.auth.refresh(actor, req.cookies?.[SESSION_COOKIE]);
    this.setSession(reply, refreshToken);
    return view;
  }

  @Delete('session')
  @Public()
  @HttpCode(204)
  @ApiCookieAuth(SESSION_COOKIE)
  @ApiOperation({ summary: 'Sign out: the session cookie’s sign-in ends and the cookie is cleared' })
  @ApiNoContentResponse()
  async signOut(@Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<void> {
    await this.auth.signOut(req.cookies?.[SESSION_COOKIE]);
    void reply.clearCookie(SESSION_COOKIE, { path: SESSION_PATH });
  }

  @Post('password')
  @AnyStaff()
  @HttpCode(200)
  @ApiOperation({ summary: 'Change one’s own password: every other sign-in and token ends; this browser gets a fresh session' })
  @ApiOkResponse({ type: TokenView })
  async changePassword(@CurrentActor() actor: Actor, @Body() dto: ChangePasswordDto, @Res({ passthrough: true }) reply: FastifyReply): Promise<TokenView> {
    const { view, refreshToken } = await this.auth.changePassword(actor, dto.currentPassword, dto.newPassword);
    this.setSession(reply, refreshToken);
    return view;
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
