import { Body, Controller, Get, Param, ParseUUIDPipe, Patch, Post, Query } from '@nestjs/common';
import { ApiConflictResponse, ApiCreatedResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentActor } from '../common/actor';
import { type Actor } from '../domain/actor';
import { PageQuery } from '../common/pagination';
import { Roles } from '../access/decorators';
import { AssignableUserView, CreateUserDto, UpdateUserDto, UserPage, UserView } from './dto/user.dto';
import { UsersService } from './users.service';

@ApiTags('users')
@Controller('users')
@Roles('admin')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get()
  @ApiOperation({ summary: 'List staff users, by e-mail' })
  @ApiOkResponse({ type: UserPage })
  list(@Query() query: PageQuery): Promise<UserPage> {
    return this.users.list(query.limit, query.cursor);
  }

  @Get('assignable')
  @Roles('sales', 'account_manager', 'admin')
  @ApiOperation({ summary: 'Who may own a lead: active users in sales, account management or admin, by name (id and name only)' })
  @ApiOkResponse({ type: [AssignableUserView] })
  assignable(): Promise<AssignableUserView[]> {
    return this.users.assignable();
  }

  @Post()
  @ApiOperation({ summary: 'Create a staff user with roles and an initial password' })
  @ApiCreatedResponse({ type: UserView })
  @ApiConflictResponse({ description: 'The e-mail is already in use.' })
  create(@CurrentActor() actor: Actor, @Body() dto: CreateUserDto): Promise<UserView> {
    return this.users.create(actor, dto);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One staff user' })
  @ApiOkResponse({ type: UserView })
  @ApiNotFoundResponse({ description: 'No such user.' })
  get(@Param('id', ParseUUIDPipe) id: string): Promise<UserView> {
    return this.users.get(id);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Rename, change roles, reset the password, or (de)activate a staff user' })
  @ApiOkResponse({ type: UserView })
  @ApiNotFoundResponse({ description: 'No such user.' })
  @ApiConflictResponse({ description: 'The change would leave no active admin.' })
  update(@CurrentActor() actor: Actor, @Param('id', ParseUUIDPipe) id: string, @Body() dto: UpdateUserDto): Promise<UserView> {
    return this.users.update(actor, id, dto);
  }
}
