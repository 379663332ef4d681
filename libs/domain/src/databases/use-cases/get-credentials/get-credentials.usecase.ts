import { Inject, Injectable } from '@nestjs/common';
import { CA_FILE_NAME, ENGINES } from '../../../engines';
import { PlatformCertificates } from '../../../tls/platform-certificates.service';
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
  /** With `tls: required`, the settings that verify the server: the CA saved as `dbaas-ca.pem` (see `tls.caFile`). */
  uri: string;
  /** Extension of the contract: how to connect over TLS and verify the server. */
  tls: {
    mode: string;
    /** Whether the endpoint speaks TLS (Redis `preferred` keeps its clear-text port). */
    offered: boolean;
    /** The name the server's certificate carries: verify it (e.g. libpq `sslmode=verify-full`). */
    serverName: string;
    /** The platform CA (PEM), also at `caUrl`; the URI names it as the file `caFile`. */
    ca: string;
    caUrl: string;
    caFile: string;
  };
}

@Injectable()
export class GetCredentialsUseCase {
  constructor(
    private readonly starter: DatabaseOperationStarter,
    @Inject(DATABASE_REPOSITORY) private readonly databases: DatabaseRepository,
    @Inject(HOST_REPOSITORY) private readonly hosts: HostRepository,
    @Inject(SECRET_BOX) private readonly secrets: SecretSealer,
    private readonly certificates: PlatformCertificates,
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
      tls: db.tls,
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
      tls: {
        mode: db.tls,
        offered: ENGINES[db.engine].tls.offered(db.tls),
        serverName: address,
        ca: await this.certificates.caPem(),
        caUrl: '/v1/ca.pem',
        caFile: CA_FILE_NAME,
      },
    };
  }
}
