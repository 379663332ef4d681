import { Inject, Injectable } from '@nestjs/common';
import type { TenantEntity } from '@app/persistence/entities';
import { TENANT_REPOSITORY, TenantRepository } from '../../../ports';

@Injectable()
export class ListTenantsUseCase {
  constructor(@Inject(TENANT_REPOSITORY) private readonly tenants: TenantRepository) {}

  execute(): Promise<TenantEntity[]> {
    return this.tenants.list();
  }
}
