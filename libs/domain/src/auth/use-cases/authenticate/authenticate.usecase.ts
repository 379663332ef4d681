import { Inject, Injectable } from '@nestjs/common';
import { CRYPTOGRAPHY, Cryptography, API_KEY_REPOSITORY, ApiKeyRepository } from '../../../ports';

export type Principal =
  { kind: 'operator'; keyId: string; name: string } | { kind: 'tenant'; keyId: string; tenantId: string };

const CACHE_MS = 5000;

/** Resolves a bearer key to who holds it. Lookups are cached briefly; a revoked key stops working within seconds. */
@Injectable()
export class AuthenticateUseCase {
  private readonly cache = new Map<string, { at: number; principal: Principal | null }>();

  constructor(
    @Inject(API_KEY_REPOSITORY) private readonly keys: ApiKeyRepository,
    @Inject(CRYPTOGRAPHY) private readonly crypto: Cryptography,
  ) {}

  async execute(key: string): Promise<Principal | null> {
    if (!key.startsWith('dbk_') && key.length < 24) return null;
    const hash = this.crypto.hashApiKey(key);
    const hit = this.cache.get(hash);
    if (hit && Date.now() - hit.at < CACHE_MS) return hit.principal;
    const found = await this.keys.findActiveByHash(hash);
    const principal: Principal | null = !found
      ? null
      : found.kind === 'operator'
        ? { kind: 'operator', keyId: found.id, name: found.name }
        : { kind: 'tenant', keyId: found.id, tenantId: found.tenantId! };
    if (this.cache.size > 10000) this.cache.clear();
    this.cache.set(hash, { at: Date.now(), principal });
    return principal;
  }

  /** Drops a revoked key from this replica's cache: refused at once here (other replicas within CACHE_MS). */
  forget(keyId: string): void {
    for (const [hash, hit] of this.cache) if (hit.principal?.keyId === keyId) this.cache.delete(hash);
  }
}
