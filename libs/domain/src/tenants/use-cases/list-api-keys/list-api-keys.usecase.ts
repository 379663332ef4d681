import { Inject, Injectable } from '@nestjs/common';
import { API_KEY_REPOSITORY, ApiKeyRepository, TENANT_REPOSITORY, TenantRepository } from '../../../ports';
import { ApiKeyView, toApiKeyView } from '../../api-key.view';
import { TenantException, TenantExceptionCode } from '../../tenant.exception';

@Injectable()
export class ListApiKeysUseCase {
  constructor(
    @Inject(TENANT_REPOSITORY) private readonly tenants: TenantRepository,
    @Inject(API_KEY_REPOSITORY) private readonly keys: ApiKeyRepository,
  ) {}

  async execute(tenantId: string): Promise<ApiKeyView[]> {
    if (!(await this.tenants.get(tenantId)))
      throw new TenantException(TenantExceptionCode.NotFound, 'tenant not found');
    return (await this.keys.listForTenant(tenantId)).map(toApiKeyView);
  }
}
