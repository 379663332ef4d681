import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import {
  CreateTenantCommand,
  CreateTenantUseCase,
  IssueApiKeyCommand,
  IssueApiKeyUseCase,
  ListApiKeysUseCase,
  ListTenantsUseCase,
  Principal,
  RevokeApiKeyUseCase,
} from '@app/domain';
import { actorOf, CurrentPrincipal, OperatorOnly } from '../auth/auth.decorators';
import { UuidOr404 } from '../common/params';
import { CreateTenantDto, IssueApiKeyDto } from './admin.dto';
import { ApiKey, IssuedApiKey, Tenant } from '../views/tenants.dto';

const tenantView = (t: { id: string; name: string; createdAt: Date }) => ({
  id: t.id,
  name: t.name,
  createdAt: t.createdAt.toISOString(),
});

@ApiTags('admin: tenants')
@ApiBearerAuth()
@OperatorOnly()
@Controller('admin/v1/tenants')
export class AdminTenantsController {
  constructor(
    private readonly createTenant: CreateTenantUseCase,
    private readonly listTenants: ListTenantsUseCase,
    private readonly issueKey: IssueApiKeyUseCase,
    private readonly listApiKeys: ListApiKeysUseCase,
    private readonly revokeKey: RevokeApiKeyUseCase,
  ) {}

  @ApiCreatedResponse({ type: Tenant })
  @Post()
  async create(@CurrentPrincipal() p: Principal, @Body() body: CreateTenantDto) {
    return tenantView(await this.createTenant.execute(CreateTenantCommand.create({ ...body }), actorOf(p)));
  }

  @ApiOkResponse({ type: [Tenant] })
  @Get()
  async list() {
    return (await this.listTenants.execute()).map(tenantView);
  }

  @ApiCreatedResponse({ type: IssuedApiKey })
  @Post(':id/api-keys')
  issue(@CurrentPrincipal() p: Principal, @Param('id', UuidOr404) id: string, @Body() body: IssueApiKeyDto) {
    return this.issueKey.execute(id, IssueApiKeyCommand.create({ ...body }), actorOf(p));
  }

  @ApiOkResponse({ type: [ApiKey] })
  @Get(':id/api-keys')
  listKeys(@Param('id', UuidOr404) id: string) {
    return this.listApiKeys.execute(id);
  }

  @ApiNoContentResponse()
  @Delete(':id/api-keys/:keyId')
  @HttpCode(204)
  async revoke(
    @CurrentPrincipal() p: Principal,
    @Param('id', UuidOr404) id: string,
    @Param('keyId', UuidOr404) keyId: string,
  ) {
    await this.revokeKey.execute(id, keyId, actorOf(p));
  }
}
