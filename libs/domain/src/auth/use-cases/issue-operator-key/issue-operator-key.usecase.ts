import { Inject, Injectable } from '@nestjs/common';
import { API_KEY_REPOSITORY, ApiKeyRepository, CRYPTOGRAPHY, Cryptography } from '../../../ports';
import { ApiKeyView, toApiKeyView } from '../../../tenants/api-key.view';
import { IssueApiKeyCommand } from '../../../tenants/use-cases/issue-api-key/issue-api-key.command';

/** A new operator key: shown once in the answer, only its hash is kept. */
@Injectable()
export class IssueOperatorKeyUseCase {
  constructor(
    @Inject(API_KEY_REPOSITORY) private readonly keys: ApiKeyRepository,
    @Inject(CRYPTOGRAPHY) private readonly crypto: Cryptography,
  ) {}

  async execute(cmd: IssueApiKeyCommand): Promise<ApiKeyView & { key: string }> {
    const { key, prefix, hash } = this.crypto.generateApiKey();
    const saved = await this.keys.create({ kind: 'operator', tenantId: null, name: cmd.name, prefix, keyHash: hash });
    return { ...toApiKeyView(saved), key };
  }
}
