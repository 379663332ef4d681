import { Inject, Injectable } from '@nestjs/common';
import {
  API_KEY_REPOSITORY,
  ApiKeyRepository,
  CRYPTOGRAPHY,
  Cryptography,
  EVENT_REPOSITORY,
  EventRepository,
  TENANT_REPOSITORY,
  TenantRepository,
} from '../../../ports';
import { ApiKeyView, toApiKeyView } from '../../api-key.view';
import { TenantException, TenantExceptionCode } from '../../tenant.exception';
import { IssueApiKeyCommand } from './issue-api-key.command';

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
