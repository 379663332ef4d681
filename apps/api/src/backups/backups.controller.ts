import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import {
  BackupRefCommand,
  DeleteBackupCommand,
  DeleteBackupUseCase,
  GetBackupUseCase,
  ListBackupsUseCase,
  ListDatabaseBackupsUseCase,
  Principal,
  RestoreBackupCommand,
  RestoreBackupUseCase,
  TakeBackupCommand,
  TakeBackupUseCase,
  toBackupView,
} from '@app/domain';
import { actorOf, CurrentPrincipal, TenantId, TenantOnly } from '../auth/auth.decorators';
import { UuidOr404 } from '../common/params';
import { PurgeBackupQueryDto, RestoreBackupDto } from '../databases/databases.dto';
import { BackupAccepted, BackupView } from '../views/backups.dto';
import { DatabaseAccepted } from '../views/common.dto';

/** Tenant backups: per database, and the tenant's whole list (backups of deleted databases included). */
@ApiTags('tenant: backups')
@ApiBearerAuth()
@TenantOnly()
@Controller('v1')
export class BackupsController {
  constructor(
    private readonly take: TakeBackupUseCase,
    private readonly listForDb: ListDatabaseBackupsUseCase,
    private readonly list: ListBackupsUseCase,
    private readonly getBackup: GetBackupUseCase,
    private readonly restore: RestoreBackupUseCase,
    private readonly remove: DeleteBackupUseCase,
  ) {}

  @ApiAcceptedResponse({ type: BackupAccepted })
  @Post('databases/:id/backups')
  @HttpCode(202)
  async takeBackup(@TenantId() tenantId: string, @Param('id', UuidOr404) id: string) {
    const { backup, operation } = await this.take.execute(TakeBackupCommand.create({ tenantId, databaseId: id }));
    return { ...toBackupView(backup), operationId: operation.id };
  }

  @ApiOkResponse({ type: [BackupView] })
  @Get('databases/:id/backups')
  async listForDatabase(@TenantId() tenantId: string, @Param('id', UuidOr404) id: string) {
    return (await this.listForDb.execute(tenantId, id)).map(toBackupView);
  }

  @ApiAcceptedResponse({ type: DatabaseAccepted })
  @Post('databases/:id/backups/:backupId/restore')
  @HttpCode(202)
  async restoreNested(
    @TenantId() tenantId: string,
    @Param('id', UuidOr404) id: string,
    @Param('backupId', UuidOr404) backupId: string,
    @Body() body: RestoreBackupDto,
  ) {
    const cmd = RestoreBackupCommand.create({ ...body, tenantId, backupId, databaseId: id });
    const { database, operation } = await this.restore.execute(cmd);
    return { id: database.id, status: database.status, operationId: operation.id };
  }

  @ApiOkResponse({ type: [BackupView] })
  @Get('backups')
  async listAll(@TenantId() tenantId: string) {
    return (await this.list.execute({ tenantId })).map(toBackupView);
  }

  @ApiOkResponse({ type: BackupView })
  @Get('backups/:backupId')
  async get(@TenantId() tenantId: string, @Param('backupId', UuidOr404) backupId: string) {
    return toBackupView(await this.getBackup.execute(BackupRefCommand.create({ tenantId, backupId })));
  }

  @ApiAcceptedResponse({ type: DatabaseAccepted })
  @Post('backups/:backupId/restore')
  @HttpCode(202)
  async restoreAny(
    @TenantId() tenantId: string,
    @Param('backupId', UuidOr404) backupId: string,
    @Body() body: RestoreBackupDto,
  ) {
    const { database, operation } = await this.restore.execute(
      RestoreBackupCommand.create({ ...body, tenantId, backupId }),
    );
    return { id: database.id, status: database.status, operationId: operation.id };
  }

  @ApiNoContentResponse()
  @Delete('backups/:backupId')
  @HttpCode(204)
  async delete(
    @CurrentPrincipal() p: Principal,
    @TenantId() tenantId: string,
    @Param('backupId', UuidOr404) backupId: string,
    @Query() q: PurgeBackupQueryDto,
  ) {
    await this.remove.execute(DeleteBackupCommand.create({ tenantId, backupId, confirm: q.confirm }), actorOf(p));
  }
}
