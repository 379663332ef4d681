import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ApiEnv, ENV } from '@app/config';
import { CRYPTOGRAPHY, Cryptography, API_KEY_REPOSITORY, ApiKeyRepository, EnsureLocalHostUseCase } from '@app/domain';

/** Boot-time checks and the embedded defaults, all idempotent so every replica may run them. */
@Injectable()
export class BootService implements OnApplicationBootstrap {
  private readonly logger = new Logger(BootService.name);

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    @Inject(ENV) private readonly env: ApiEnv,
    @Inject(API_KEY_REPOSITORY) private readonly keys: ApiKeyRepository,
    private readonly localHost: EnsureLocalHostUseCase,
    @Inject(CRYPTOGRAPHY) private readonly crypto: Cryptography,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    // Schema changes are an explicit step (`npm run migrate`), never a side effect of starting a replica.
    if (await this.ds.showMigrations()) {
      throw new Error('the metadata database has pending migrations: run `npm run migrate` first');
    }
    if (this.env.OPERATOR_BOOTSTRAP_KEY) {
      const key = this.env.OPERATOR_BOOTSTRAP_KEY;
      await this.keys.ensureOperatorKey('bootstrap', key.slice(0, 8), this.crypto.hashApiKey(key));
    }
    if (this.env.LOCAL_HOST) {
      const host = await this.localHost.execute(this.env.LOCAL_HOST_ADDRESS);
      this.logger.log(`local host ${host.name} (${host.address}), volumes under ${host.dataRoot}`);
    }
  }
}
