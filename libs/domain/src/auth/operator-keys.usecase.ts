import { Inject, Injectable } from '@nestjs/common';
import { generateApiKey } from '@app/security';
import { DomainException, ErrorKind } from '../errors';
import { API_KEY_REPOSITORY, ApiKeyRepository } from '../ports';
import { ApiKeyView, toApiKeyView } from '../tenants/api-key.view';
import { IssueApiKeyCommand } from '../tenants/use-cases/issue-api-key/issue-api-key.command';
import { AuthenticateUseCase } from './authenticate.usecase';

export enum OperatorKeyExceptionCode {
  NotFound = 'operator-key-not-found',
  LastKey = 'last-operator-key',
}

export class OperatorKeyException extends DomainException<OperatorKeyExceptionCode> {
  get kind(): ErrorKind {
    return this.code === OperatorKeyExceptionCode.LastKey ? ErrorKind.Conflict : ErrorKind.NotFound;
  }
}

/** Operator keys: listed, issued (the key is shown once, only its hash is kept) and revoked. */
@Injectable()
export class OperatorKeysUseCase {
  constructor(
    @Inject(API_KEY_REPOSITORY) private readonly keys: ApiKeyRepository,
    private readonly authenticate: AuthenticateUseCase,
  ) {}

  async list(): Promise<ApiKeyView[]> {
    return (await this.keys.listOperators()).map(toApiKeyView);
  }

  async issue(cmd: IssueApiKeyCommand): Promise<ApiKeyView & { key: string }> {
    const { key, prefix, hash } = generateApiKey();
    const saved = await this.keys.create({ kind: 'operator', tenantId: null, name: cmd.name, prefix, keyHash: hash });
    return { ...toApiKeyView(saved), key };
  }

  async revoke(keyId: string): Promise<void> {
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
