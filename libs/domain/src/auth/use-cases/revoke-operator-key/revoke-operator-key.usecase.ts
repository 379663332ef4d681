import { Inject, Injectable } from '@nestjs/common';
import { API_KEY_REPOSITORY, ApiKeyRepository } from '../../../ports';
import { OperatorKeyException, OperatorKeyExceptionCode } from '../../operator-key.exception';
import { AuthenticateUseCase } from '../authenticate/authenticate.usecase';

/** Revokes an operator key (refused at once), never the last active one. */
@Injectable()
export class RevokeOperatorKeyUseCase {
  constructor(
    @Inject(API_KEY_REPOSITORY) private readonly keys: ApiKeyRepository,
    private readonly authenticate: AuthenticateUseCase,
  ) {}

  async execute(keyId: string): Promise<void> {
    const active = (await this.keys.listOperators()).filter((k) => !k.revokedAt);
    if (!active.some((k) => k.id === keyId)) {
      throw new OperatorKeyException(OperatorKeyExceptionCode.NotFound, 'operator key not found (or already revoked)');
    }
    // Nobody could call the admin API again (the bootstrap key stays revoked across restarts).
    if (active.length === 1) {
      throw new OperatorKeyException(
        OperatorKeyExceptionCode.LastKey,
        'the last active operator key cannot be revoked',
      );
    }
    if (!(await this.keys.revoke(keyId, null))) {
      throw new OperatorKeyException(OperatorKeyExceptionCode.NotFound, 'operator key not found (or already revoked)');
    }
    this.authenticate.forget(keyId);
  }
}
