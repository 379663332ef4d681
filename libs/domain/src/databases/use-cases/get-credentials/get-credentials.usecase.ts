import { Inject, Injectable } from '@nestjs/common';
import { ENGINES } from '../../../engines';
import {
  DATABASE_REPOSITORY,
  DatabaseRepository,
  HOST_REPOSITORY,
  HostRepository,
  SECRET_BOX,
  SecretSealer,
} from '../../../ports';
import { DatabaseOperationStarter } from '../../database-operation-starter';
import { DatabaseException, DatabaseExceptionCode } from '../../database.exception';

export interface CredentialsView {
  username: string;
  password: string;
  database: string;
  host: string;
  port: number;
  uri: string;
}

@Injectable()
export class GetCredentialsUseCase {
  constructor(
    private readonly starter: DatabaseOperationStarter,
    @Inject(DATABASE_REPOSITORY) private readonly databases: DatabaseRepository,
    @Inject(HOST_REPOSITORY) private readonly hosts: HostRepository,
    @Inject(SECRET_BOX) private readonly secrets: SecretSealer,
  ) {}

  async execute(tenantId: string, databaseId: string): Promise<CredentialsView> {
    const db = await this.starter.findOwned(tenantId, databaseId);
    const host = db.hostId ? await this.hosts.get(db.hostId) : null;
    const { password } = await this.databases.getSecrets(db.id);
    if (!host || !db.port || !password) {
      throw new DatabaseException(DatabaseExceptionCode.NoEndpoint, 'this database has no endpoint yet');
    }
    const ctx = {
      username: db.username,
      password: this.secrets.open(password),
      dbName: db.dbName,
      adminPassword: null,
    };
    // HA databases are reached on their VIP, which follows the primary.
    const address = db.vip ?? host.address;
    return {
      username: ctx.username,
      password: ctx.password,
      database: ctx.dbName,
      host: address,
      port: db.port,
      uri: ENGINES[db.engine].uri(ctx, address, db.port),
    };
  }
}
