import { Inject, Injectable } from '@nestjs/common';
import type { ApiKeyEntity, TenantEntity } from '@app/persistence/entities';
import {
  CRYPTOGRAPHY,
  Cryptography,
  API_KEY_REPOSITORY,
  ApiKeyRepository,
  EVENT_REPOSITORY,
  EventRepository,
  TENANT_REPOSITORY,
  TenantRepository,
} from '../../ports';
import { AuthenticateUseCase } from '../../auth/authenticate.usecase';
import { TenantException, TenantExceptionCode } from '../tenant.exception';
import { CreateTenantCommand, IssueApiKeyCommand } from './create-tenant.command';

export interface ApiKeyView {
  id: string;
  name: string;
  prefix: string;
  createdAt: string;
  revokedAt: string | null;
}

export const toApiKeyView = (k: ApiKeyEntity): ApiKeyView => ({
  id: k.id,
  name: k.name,
  prefix: k.prefix,
  createdAt: k.createdAt.toISOString(),
  revokedAt: k.revokedAt?.toISOString() ?? null,
});

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

@Injectable()
export class ListTenantsUseCase {
  constructor(@Inject(TENANT_REPOSITORY) private readonly tenants: TenantRepository) {}
  execute(): Promise<TenantEntity[]> {
    return this.tenants.list();
  }
}

@Injectable()
export class IssueApiKeyUseCase {
  constructor(
    @Inject(TENANT_REPOSITORY) private readonly tenants: TenantRepository,
    @Inject(API_KEY_REPOSITORY) private readonly keys: ApiKeyRepository,
    @Inject(EVENT_REPOSITORY) private readonly events: EventRepository,
    @Inject(CRYPTOGRAPHY) private readonly crypto: Cryptography,
  ) {}

  /** Returns the key in clear this once; only its hash is kept. */
  async execute(tenantId: string, cmd: IssueApiKeyCommand, actor: string): Promise<ApiKeyView & { key: string }> {
    const tenant = await this.tenants.get(tenantId);
    if (!tenant) throw new TenantException(TenantExceptionCode.NotFound, 'tenant not found');
    const { key, prefix, hash } = this.crypto.generateApiKey();
    const saved = await this.keys.create({ kind: 'tenant', tenantId, name: cmd.name, prefix, keyHash: hash });
    await this.events.record({ type: 'api-key.issued', message: `key ${prefix}… issued by ${actor}`, tenantId });
    return { ...toApiKeyView(saved), key };
  }
}

@Injectable()
export class ManageApiKeysUseCase {
  constructor(
    @Inject(TENANT_REPOSITORY) private readonly tenants: TenantRepository,
    @Inject(API_KEY_REPOSITORY) private readonly keys: ApiKeyRepository,
    @Inject(EVENT_REPOSITORY) private readonly events: EventRepository,
    private readonly authenticate: AuthenticateUseCase,
  ) {}

  async list(tenantId: string): Promise<ApiKeyView[]> {
    if (!(await this.tenants.get(tenantId)))
      throw new TenantException(TenantExceptionCode.NotFound, 'tenant not found');
    return (await this.keys.listForTenant(tenantId)).map(toApiKeyView);
  }

  async revoke(tenantId: string, keyId: string, actor: string): Promise<void> {
    if (!(await this.keys.revoke(keyId, tenantId)))
      throw new TenantException(TenantExceptionCode.KeyNotFound, 'API key not found');
    this.authenticate.forget(keyId);
    await this.events.record({ type: 'api-key.revoked', message: `key ${keyId} revoked by ${actor}`, tenantId });
  }
}
