import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post, Put, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Roles } from '../access/decorators';
import { CurrentActor } from '../common/actor';
import { type Actor } from '../domain/actor';
import { AccountsService } from './accounts.service';
import { AccessGrantView, AccountManagersDto, BecomeCustomerDto, CompanyDetailView, CompanyPage, CompanyQuery, CompanyView, GrantAccessDto } from './dto/company.dto';

@ApiTags('companies')
@Controller('companies')
@Roles('sales', 'account_manager', 'admin')
@ApiNotFoundResponse({ description: 'No such company, or an active customer the caller may not see.' })
export class CompaniesController {
  constructor(private readonly accounts: AccountsService) {}

  @Get()
  @ApiOperation({ summary: 'Companies the caller may see (active customers only for their account managers, employees granted access and admins)' })
  @ApiOkResponse({ type: CompanyPage })
  list(@Query() query: CompanyQuery): Promise<CompanyPage> {
    return this.accounts.list(query);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One company with its account managers (reading a customer is audited)' })
  @ApiOkResponse({ type: CompanyDetailView })
  get(@CurrentActor() actor: Actor, @Param('id', ParseUUIDPipe) id: string): Promise<CompanyDetailView> {
    return this.accounts.get(actor, id);
  }

  @Put(':id/customer')
  @Roles('admin')
  @ApiOperation({ summary: 'Make the company an active customer, or record its latest service delivery' })
  @ApiOkResponse({ type: CompanyView })
  becomeCustomer(@CurrentActor() actor: Actor, @Param('id', ParseUUIDPipe) id: string, @Body() dto: BecomeCustomerDto): Promise<CompanyView> {
    return this.accounts.becomeCustomer(actor, id, dto);
  }

  @Delete(':id/customer')
  @Roles('admin')
  @ApiOperation({ summary: 'End the customer relationship: its people become leads again' })
  @ApiOkResponse({ type: CompanyView })
  endCustomer(@CurrentActor() actor: Actor, @Param('id', ParseUUIDPipe) id: string): Promise<CompanyView> {
    return this.accounts.endCustomer(actor, id);
  }

  @Put(':id/account-managers')
  @Roles('admin')
  @ApiOperation({ summary: 'Set the account managers of a company (users with the account_manager role)' })
  @ApiOkResponse({ type: CompanyDetailView })
  setAccountManagers(@CurrentActor() actor: Actor, @Param('id', ParseUUIDPipe) id: string, @Body() dto: AccountManagersDto): Promise<CompanyDetailView> {
    return this.accounts.setAccountManagers(actor, id, dto);
  }

  @Get(':id/access-grants')
  @Roles('account_manager', 'admin')
  @ApiOperation({ summary: 'Who else was granted access to this customer, with reasons, expiry and revocations' })
  @ApiOkResponse({ type: [AccessGrantView] })
  grants(@CurrentActor() actor: Actor, @Param('id', ParseUUIDPipe) id: string): Promise<AccessGrantView[]> {
    return this.accounts.grants(actor, id);
  }

  @Post(':id/access-grants')
  @Roles('account_manager', 'admin')
  @ApiOperation({ summary: 'Grant an employee concerned access to this customer (account managers of it, and admins)' })
  @ApiCreatedResponse({ type: AccessGrantView })
  grant(@CurrentActor() actor: Actor, @Param('id', ParseUUIDPipe) id: string, @Body() dto: GrantAccessDto): Promise<AccessGrantView> {
    return this.accounts.grant(actor, id, dto);
  }

  @Delete(':id/access-grants/:grantId')
  @Roles('account_manager', 'admin')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke a grant now' })
  @ApiNoContentResponse()
  revoke(@CurrentActor() actor: Actor, @Param('id', ParseUUIDPipe) id: string, @Param('grantId', ParseUUIDPipe) grantId: string): Promise<void> {
    return this.accounts.revoke(actor, id, grantId);
  }
}
