import { Inject, Injectable } from '@nestjs/common';
import type { TenantEntity } from '@app/persistence/entities';
import { EVENT_REPOSITORY, EventRepository, TENANT_REPOSITORY, TenantRepository } from '../../../ports';
import { TenantException, TenantExceptionCode } from '../../tenant.exception';
import { CreateTenantCommand } from './create-tenant.command';

@Injectable()
export class CreateTenantUseCase {
  constructor(
    @Inject(TENANT_REPOSITORY) private readonly tenants: TenantRepository,
    @Inject(EVENT_REPOSITORY) private readonly events: EventRepository,
  ) {}

  async execute(cmd: CreateTenantCommand, actor: string): Promise<TenantEntity> {
    if (await this.tenants.findByName(cmd.name)) {
      throw new TenantException(TenantExceptionCode.NameTaken, `a tenant named "${cmd.name}" already exists`);
    }
    const tenant = await this.tenants.create(cmd.name);
    await this.events.record({
      type: 'tenant.created',
      message: `tenant ${cmd.name} created by ${actor}`,
      tenantId: tenant.id,
    });
    return tenant;
  }
}
