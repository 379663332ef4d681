import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import {
  DeleteBackupUseCase,
  DeleteDatabaseUseCase,
  GetLogsUseCase,
  InspectDatabasesUseCase,
  ListBackupsUseCase,
  MoveDatabaseCommand,
  MoveDatabaseUseCase,
  GetOperationUseCase,
  ListOperationsUseCase,
  Principal,
  OperatorRestoreBackupUseCase,
  RestartDatabaseUseCase,
  RetryOperationUseCase,
  SetAllowedCidrsCommand,
  SetAllowedCidrsUseCase,
  toBackupView,
} from '@app/domain';
import { actorOf, CurrentPrincipal, OperatorOnly } from '../auth/auth.decorators';
import { UuidOr404 } from '../common/params';
import { PurgeBackupQueryDto, RestoreBackupDto, SetAllowedCidrsDto, SetTlsDto } from '../databases/databases.dto';
import {
  AdminBackupsQueryDto,
  AdminDatabasesQueryDto,
  AdminLogsQueryDto,
  AdminOperationsQueryDto,
  MoveDatabaseDto,
} from './admin.dto';
import { BackupView } from '../views/backups.dto';
import { Accepted, AdminRestoreAccepted, AllowListAccepted, Logs } from '../views/common.dto';
import { AdminOperationView, DatabaseDetail, FleetDatabaseItem, OperationView } from '../views/databases.dto';

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
    private readonly operationList: ListOperationsUseCase,
    private readonly operation: GetOperationUseCase,
    private readonly move: MoveDatabaseUseCase,
    private readonly backups: ListBackupsUseCase,
    private readonly restore: OperatorRestoreBackupUseCase,
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
    return (await this.backups.execute(q)).map(toBackupView);
  }

  /** A new database of the backup's tenant from it (backups of deleted databases too, within their retention). */
  @ApiAcceptedResponse({ type: AdminRestoreAccepted })
  @Post('backups/:backupId/restore')
  @HttpCode(202)
  async restoreBackup(@Param('backupId', UuidOr404) backupId: string, @Body() body: RestoreBackupDto) {
    const { database, operation } = await this.restore.execute(backupId, body ?? {});
    return { id: database.id, tenantId: database.tenantId, status: database.status, operationId: operation.id };
  }

  /**
   * Purges one backup before its retention ends (any tenant's): its archive on the target, then the backup. Needs
   * `confirm=<the backup's database name>`, as the tenant's purge does; a `backup.purged` event names the operator.
   */
  @ApiNoContentResponse()
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
    return this.retry.annotate(await this.operationList.execute(q));
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
    return this.operation.execute(id, null);
  }
}
