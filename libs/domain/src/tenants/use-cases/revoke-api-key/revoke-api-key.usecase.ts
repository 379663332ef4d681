import { Inject, Injectable } from '@nestjs/common';
import { API_KEY_REPOSITORY, ApiKeyRepository, EVENT_REPOSITORY, EventRepository } from '../../../ports';
import { AuthenticateUseCase } from '../../../auth/use-cases/authenticate/authenticate.usecase';
import { TenantException, TenantExceptionCode } from '../../tenant.exception';

/** Revokes a tenant's key: refused from the next request on (the authentication cache forgets it). */
@Injectable()
export class RevokeApiKeyUseCase {
  constructor(
    @Inject(API_KEY_REPOSITORY) private readonly keys: ApiKeyRepository,
    @Inject(EVENT_REPOSITORY) private readonly events: EventRepository,
    private readonly authenticate: AuthenticateUseCase,
  ) {}

  async execute(tenantId: string, keyId: string, actor: string): Promise<void> {
    if (!(await this.keys.revoke(keyId, tenantId)))
      throw new TenantException(TenantExceptionCode.KeyNotFound, 'API key not found');
    this.authenticate.forget(keyId);
    await this.events.record({ type: 'api-key.revoked', message: `key ${keyId} revoked by ${actor}`, tenantId });
  }
}
