import { Inject, Injectable } from '@nestjs/common';
import { CRYPTOGRAPHY, Cryptography, SECRET_BOX, SecretSealer, TENANT_REPOSITORY, TenantRepository } from '../ports';

/**
 * Each tenant's backup data key: 32 random bytes made at its first backup, stored only sealed with the master key
 * (the tenant row), opened in the worker's memory for the time of one archive's encryption or decryption. It never
 * reaches a program's argv, environment or stdin, nor the database host or the backup target: archives pass
 * through the worker anyway, and are encrypted there (node:crypto) before they go on to the target.
 */
@Injectable()
export class BackupKeys {
  constructor(
    @Inject(TENANT_REPOSITORY) private readonly tenants: TenantRepository,
    @Inject(SECRET_BOX) private readonly secrets: SecretSealer,
    @Inject(CRYPTOGRAPHY) private readonly crypto: Cryptography,
  ) {}

  async forTenant(tenantId: string): Promise<Buffer> {
    let sealed = await this.tenants.getSealedBackupKey(tenantId);
    if (!sealed) {
      await this.tenants.setSealedBackupKeyIfNone(tenantId, this.secrets.seal(this.crypto.generateDataKey()));
      sealed = await this.tenants.getSealedBackupKey(tenantId);
      if (!sealed) throw new Error(`tenant ${tenantId} is gone`);
    }
    return Buffer.from(this.secrets.open(sealed), 'base64');
  }

  /** The key of an existing archive: never made anew (a new key could not open it). */
  async existing(tenantId: string): Promise<Buffer | null> {
    const sealed = await this.tenants.getSealedBackupKey(tenantId);
    return sealed ? Buffer.from(this.secrets.open(sealed), 'base64') : null;
  }
}
