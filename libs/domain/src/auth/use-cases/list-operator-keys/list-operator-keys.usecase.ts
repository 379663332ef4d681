import { Inject, Injectable } from '@nestjs/common';
import { API_KEY_REPOSITORY, ApiKeyRepository } from '../../../ports';
import { ApiKeyView, toApiKeyView } from '../../../tenants/api-key.view';

@Injectable()
export class ListOperatorKeysUseCase {
  constructor(@Inject(API_KEY_REPOSITORY) private readonly keys: ApiKeyRepository) {}

  async execute(): Promise<ApiKeyView[]> {
    return (await this.keys.listOperators()).map(toApiKeyView);
  }
}
