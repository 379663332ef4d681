import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiTags,
} from '@nestjs/swagger';
import {
  CreateTenantCommand,
  CreateTenantUseCase,
  DeleteBackupUseCase,
  DeleteDatabaseUseCase,
  GetLogsUseCase,
  InspectDatabasesUseCase,
  HostUseCases,
  IssueApiKeyCommand,
  IssueApiKeyUseCase,
  ListBackupsUseCase,
  RestoreBackupUseCase,
  ListTenantsUseCase,
  ManageApiKeysUseCase,
  MoveDatabaseCommand,
  MoveDatabaseUseCase,
  OperationUseCases,
  Principal,
  RegisterHostCommand,
  RegisterStorageBackendCommand,
  RestartDatabaseUseCase,
  RetryOperationUseCase,
  SetAllowedCidrsCommand,
  SetAllowedCidrsUseCase,
  SetFencingCommand,
  SetHostKeyCommand,
  StorageBackendUseCases,
  toBackupView,
} from '@app/domain';
import { actorOf, CurrentPrincipal, OperatorOnly } from '../auth/auth.decorators';
import { UuidOr404 } from '../common/params';
import {
  AdminBackupsQueryDto,
  AdminDatabasesQueryDto,
  AdminLogsQueryDto,
  AdminOperationsQueryDto,
  CreateTenantDto,
  IssueApiKeyDto,
  MoveDatabaseDto,
  RegisterHostDto,
  SetFencingDto,
  SetHostKeyDto,
  RegisterStorageBackendDto,
} from './admin.dto';
import { RestoreBackupDto } from '../databases/databases.dto';
import { PurgeBackupQueryDto, SetAllowedCidrsDto, SetTlsDto } from '../databases/databases.dto';
import { BackupView } from '../views/backups.dto';
import { Accepted, AdminRestoreAccepted, AllowListAccepted, Logs } from '../views/common.dto';
import { AdminOperationView, DatabaseDetail, FleetDatabaseItem, OperationView } from '../views/databases.dto';
import { HostDetail, HostListItem, HostView } from '../views/hosts.dto';
import { ApiKey, IssuedApiKey, Tenant } from '../views/tenants.dto';

const tenantView = (t: { id: string; name: string; createdAt: Date }) => ({
  id: t.id,
  name: t.name,
  createdAt: t.createdAt.toISOString(),
});

@ApiTags('admin: tenants')
@ApiBearerAuth()
@OperatorOnly()
@Controller('admin/v1/tenants')
export class AdminTenantsController {
  constructor(
    private readonly createTenant: CreateTenantUseCase,
    private readonly listTenants: ListTenantsUseCase,
    private readonly issueKey: IssueApiKeyUseCase,
    private readonly keys: ManageApiKeysUseCase,
  ) {}

  @ApiCreatedResponse({ type: Tenant })
  @Post()
  async create(@CurrentPrincipal() p: Principal, @Body() body: CreateTenantDto) {
    return tenantView(await this.createTenant.execute(CreateTenantCommand.create({ ...body }), actorOf(p)));
  }

  @ApiOkResponse({ type: [Tenant] })
  @Get()
  async list() {
    return (await this.listTenants.execute()).map(tenantView);
  }

  @ApiCreatedResponse({ type: IssuedApiKey })
  @Post(':id/api-keys')
  issue(@CurrentPrincipal() p: Principal, @Param('id', UuidOr404) id: string, @Body() body: IssueApiKeyDto) {
    return this.issueKey.execute(id, IssueApiKeyCommand.create({ ...body }), actorOf(p));
  }

  @ApiOkResponse({ type: [ApiKey] })
  @Get(':id/api-keys')
  listKeys(@Param('id', UuidOr404) id: string) {
    return this.keys.list(id);
  }

  @ApiNoContentResponse()
  @Delete(':id/api-keys/:keyId')
  @HttpCode(204)
  async revoke(
    @CurrentPrincipal() p: Principal,
    @Param('id', UuidOr404) id: string,
    @Param('keyId', UuidOr404) keyId: string,
  ) {
    await this.keys.revoke(id, keyId, actorOf(p));
  }
}

@ApiTags('admin: hosts')
@ApiBearerAuth()
@OperatorOnly()
@Controller('admin/v1/hosts')
export class AdminHostsController {
  constructor(private readonly hosts: HostUseCases) {}

  @ApiCreatedResponse({ type: HostView })
  @Post()
  register(@CurrentPrincipal() p: Principal, @Body() body: RegisterHostDto) {
    return this.hosts.register(RegisterHostCommand.create({ ...body }), actorOf(p));
  }

  @ApiOkResponse({ type: [HostListItem] })
  @Get()
  list() {
    return this.hosts.list();
  }

  @ApiOkResponse({ type: HostDetail })
  @Get(':id')
  get(@Param('id', UuidOr404) id: string) {
    return this.hosts.get(id);
  }

  /** Confirms the key recorded on first contact, or replaces the pinned one. */
  @ApiOkResponse({ type: HostView })
  @Put(':id/host-key')
  setHostKey(@CurrentPrincipal() p: Principal, @Param('id', UuidOr404) id: string, @Body() body: SetHostKeyDto) {
    return this.hosts.setHostKey(id, SetHostKeyCommand.create({ ...body }), actorOf(p));
  }

  /** Replaces the fencing (`{fencing: null}`: none); a secret parameter sent as "***" keeps the stored one. */
  @ApiOkResponse({ type: HostView })
  @Put(':id/fencing')
  setFencing(@CurrentPrincipal() p: Principal, @Param('id', UuidOr404) id: string, @Body() body: SetFencingDto) {
    return this.hosts.setFencing(id, SetFencingCommand.create({ ...body }), actorOf(p));
  }

  @ApiNoContentResponse()
  @Delete(':id')
  @HttpCode(204)
  async remove(@CurrentPrincipal() p: Principal, @Param('id', UuidOr404) id: string) {
    await this.hosts.remove(id, actorOf(p));
  }
}

@ApiTags('admin: databases')
@ApiBearerAuth()
@OperatorOnly()
@Controller('admin/v1')
export class AdminDatabasesController {
  constructor(
    private readonly inspect: InspectDatabasesUseCase,
    private readonly logs: GetLogsUseCase,
    private readonly retry: RetryOperationUseCase,
    private readonly deleteDb: DeleteDatabaseUseCase,
    private readonly operations: OperationUseCases,
    private readonly move: MoveDatabaseUseCase,
    private readonly backups: ListBackupsUseCase,
    private readonly restore: RestoreBackupUseCase,
    private readonly allowList: SetAllowedCidrsUseCase,
    private readonly restartDb: RestartDatabaseUseCase,
    private readonly deleteBackup: DeleteBackupUseCase,
  ) {}

  /** An operator replaces a database's IP allow-list (the console's database page), as the tenant's PUT does. */
  @ApiAcceptedResponse({ type: AllowListAccepted })
  @Put('databases/:id/allowed-cidrs')
  @HttpCode(202)
  async setAllowedCidrs(@Param('id', UuidOr404) id: string, @Body() body: SetAllowedCidrsDto) {
    const cmd = SetAllowedCidrsCommand.create({ ...body, databaseId: id });
    return { operationId: (await this.allowList.execute(cmd)).id, allowedCidrs: cmd.allowedCidrs };
  }

  /** An operator changes a database's TLS mode (the console's database page), as the tenant's PUT does: a restart. */
  @ApiAcceptedResponse({ type: Accepted })
  @Put('databases/:id/tls')
  @HttpCode(202)
  async setTls(@Param('id', UuidOr404) id: string, @Body() body: SetTlsDto) {
    return { operationId: (await this.restartDb.execute(null, id, { tls: body.mode })).id };
  }

  @ApiAcceptedResponse({ type: Accepted })
  @Post('databases/:id/move')
  @HttpCode(202)
  async moveDatabase(
    @CurrentPrincipal() p: Principal,
    @Param('id', UuidOr404) id: string,
    @Body() body: MoveDatabaseDto,
  ) {
    const op = await this.move.execute(MoveDatabaseCommand.create({ ...(body ?? {}), databaseId: id }), actorOf(p));
    return { operationId: op.id };
  }

  @ApiOkResponse({ type: [BackupView] })
  @Get('backups')
  async listBackups(@Query() q: AdminBackupsQueryDto) {
    return (await this.backups.all(q)).map(toBackupView);
  }

  /** A new database of the backup's tenant from it (backups of deleted databases too, within their retention). */
  @ApiAcceptedResponse({ type: AdminRestoreAccepted })
  @Post('backups/:backupId/restore')
  @HttpCode(202)
  async restoreBackup(@Param('backupId', UuidOr404) backupId: string, @Body() body: RestoreBackupDto) {
    const { database, operation } = await this.restore.asOperator(backupId, body ?? {});
    return { id: database.id, tenantId: database.tenantId, status: database.status, operationId: operation.id };
  }

  /**
   * Purges one backup before its retention ends (any tenant's): its archive on the target, then the backup. Needs
   * `confirm=<the backup's database name>`, as the tenant's purge does; a `backup.purged` event names the operator.
   */
  @Delete('backups/:backupId')
  @HttpCode(204)
  async purgeBackup(
    @CurrentPrincipal() p: Principal,
    @Param('backupId', UuidOr404) backupId: string,
    @Query() q: PurgeBackupQueryDto,
  ) {
    await this.deleteBackup.asOperator(backupId, q.confirm, actorOf(p));
  }

  @ApiOkResponse({ type: [FleetDatabaseItem] })
  @Get('databases')
  list(@Query() q: AdminDatabasesQueryDto) {
    return this.inspect.list(q);
  }

  /** The database with its tenant, host, volumes (and replicas), recent operations and events. */
  @ApiOkResponse({ type: DatabaseDetail })
  @Get('databases/:id')
  get(@Param('id', UuidOr404) id: string) {
    return this.inspect.get(id);
  }

  @ApiOkResponse({ type: Logs })
  @Get('databases/:id/logs')
  getLogs(@Param('id', UuidOr404) id: string, @Query() q: AdminLogsQueryDto) {
    return this.logs.execute(null, id, q.tail ?? 200);
  }

  @ApiAcceptedResponse({ type: Accepted })
  @Delete('databases/:id')
  @HttpCode(202)
  async remove(@Param('id', UuidOr404) id: string) {
    return { operationId: (await this.deleteDb.execute(null, id)).id };
  }

  @ApiOkResponse({ type: [AdminOperationView] })
  @Get('operations')
  async listOperations(@Query() q: AdminOperationsQueryDto) {
    return this.retry.annotate(await this.operations.list(q));
  }

  /** Runs a failed operation again as a new one (only types whose handlers reconcile, and only the latest). */
  @ApiAcceptedResponse({ type: Accepted })
  @Post('operations/:id/retry')
  @HttpCode(202)
  async retryOperation(@Param('id', UuidOr404) id: string) {
    return { operationId: (await this.retry.execute(id)).id };
  }

  @ApiOkResponse({ type: OperationView })
  @Get('operations/:id')
  getOperation(@Param('id', UuidOr404) id: string) {
    return this.operations.get(id, null);
  }
}

@ApiTags('admin: storage')
@ApiBearerAuth()
@OperatorOnly()
@Controller('admin/v1/storage-backends')
export class AdminStorageController {
  constructor(private readonly backends: StorageBackendUseCases) {}

  @Post()
  register(@CurrentPrincipal() p: Principal, @Body() body: RegisterStorageBackendDto) {
    return this.backends.register(RegisterStorageBackendCommand.create({ ...body }), actorOf(p));
  }

  @Get()
  list() {
    return this.backends.list();
  }

  @Get(':id')
  get(@Param('id', UuidOr404) id: string) {
    return this.backends.get(id);
  }

  /** Confirms the key recorded on first contact, or replaces the pinned one. */
  @Put(':id/host-key')
  setHostKey(@CurrentPrincipal() p: Principal, @Param('id', UuidOr404) id: string, @Body() body: SetHostKeyDto) {
    return this.backends.setHostKey(id, SetHostKeyCommand.create({ ...body }), actorOf(p));
  }
}
