import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
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

  @Post()
  async create(@CurrentPrincipal() p: Principal, @Body() body: CreateTenantDto) {
    return tenantView(await this.createTenant.execute(CreateTenantCommand.create({ ...body }), actorOf(p)));
  }

  @Get()
  async list() {
    return (await this.listTenants.execute()).map(tenantView);
  }

  @Post(':id/api-keys')
  issue(@CurrentPrincipal() p: Principal, @Param('id', UuidOr404) id: string, @Body() body: IssueApiKeyDto) {
    return this.issueKey.execute(id, IssueApiKeyCommand.create({ ...body }), actorOf(p));
  }

  @Get(':id/api-keys')
  listKeys(@Param('id', UuidOr404) id: string) {
    return this.listApiKeys.execute(id);
  }

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
