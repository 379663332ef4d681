import { BadRequestException, Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import {
  CloneDatabaseCommand,
  CloneDatabaseUseCase,
  CreateDatabaseCommand,
  CreateDatabaseUseCase,
  DeleteDatabaseUseCase,
  GetCredentialsUseCase,
  GetDatabaseUseCase,
  GetLogsUseCase,
  ListDatabasesUseCase,
  ListEnginesUseCase,
  ListPlansUseCase,
  GetOperationUseCase,
  ResizeDatabaseCommand,
  ResizeDatabaseUseCase,
  RestartDatabaseUseCase,
  RotatePasswordUseCase,
  SetAllowedCidrsCommand,
  SetAllowedCidrsUseCase,
} from '@app/domain';
import { TenantId, TenantOnly } from '../auth/auth.decorators';
import { UuidOr404 } from '../common/params';
import {
  CloneDatabaseDto,
  CreateDatabaseDto,
  DeleteDatabaseQueryDto,
  LogsQueryDto,
  ResizeDatabaseDto,
  SetAllowedCidrsDto,
  SetTlsDto,
} from './databases.dto';
import { Accepted, AllowListAccepted, DatabaseAccepted, Logs } from '../views/common.dto';
import { DatabaseView, OperationView } from '../views/databases.dto';

const accepted = (operationId: string) => ({ operationId });

/** The tenant API: each route is one use case. */
@ApiTags('tenant')
@ApiBearerAuth()
@TenantOnly()
@Controller('v1')
export class DatabasesController {
  constructor(
    private readonly createDb: CreateDatabaseUseCase,
    private readonly deleteDb: DeleteDatabaseUseCase,
    private readonly getDb: GetDatabaseUseCase,
    private readonly listDbs: ListDatabasesUseCase,
    private readonly credentials: GetCredentialsUseCase,
    private readonly restartDb: RestartDatabaseUseCase,
    private readonly rotate: RotatePasswordUseCase,
    private readonly resizeDb: ResizeDatabaseUseCase,
    private readonly logs: GetLogsUseCase,
    private readonly operation: GetOperationUseCase,
    private readonly plans: ListPlansUseCase,
    private readonly cloneDb: CloneDatabaseUseCase,
    private readonly engines: ListEnginesUseCase,
    private readonly allowList: SetAllowedCidrsUseCase,
  ) {}

  /** The plans a database can be created on: those at least one active host can hold. */
  @Get('plans')
  listPlans() {
    return this.plans.execute();
  }

  /** The engines and versions this platform can run now: those whose image is in the registry. */
  @Get('engines')
  listEngines() {
    return this.engines.execute();
  }

  @ApiAcceptedResponse({ type: DatabaseAccepted })
  @Post('databases')
  @HttpCode(202)
  async create(@TenantId() tenantId: string, @Body() body: CreateDatabaseDto) {
    const { database, operation } = await this.createDb.execute(CreateDatabaseCommand.create({ ...body, tenantId }));
    return { id: database.id, status: database.status, operationId: operation.id };
  }

  @ApiOkResponse({ type: [DatabaseView] })
  @Get('databases')
  list(@TenantId() tenantId: string) {
    return this.listDbs.execute({ tenantId });
  }

  @ApiOkResponse({ type: DatabaseView })
  @Get('databases/:id')
  get(@TenantId() tenantId: string, @Param('id', UuidOr404) id: string) {
    return this.getDb.execute(tenantId, id);
  }

  @Get('databases/:id/credentials')
  getCredentials(@TenantId() tenantId: string, @Param('id', UuidOr404) id: string) {
    return this.credentials.execute(tenantId, id);
  }

  @ApiAcceptedResponse({ type: Accepted })
  @Post('databases/:id/restart')
  @HttpCode(202)
  async restart(@TenantId() tenantId: string, @Param('id', UuidOr404) id: string) {
    return accepted((await this.restartDb.execute(tenantId, id)).id);
  }

  /** Extension: the database's TLS mode (`required` refuses clear text); the server restarts with it. */
  @ApiAcceptedResponse({ type: Accepted })
  @Put('databases/:id/tls')
  @HttpCode(202)
  async setTls(@TenantId() tenantId: string, @Param('id', UuidOr404) id: string, @Body() body: SetTlsDto) {
    return accepted((await this.restartDb.execute(tenantId, id, { tls: body.mode })).id);
  }

  @ApiAcceptedResponse({ type: Accepted })
  @Post('databases/:id/rotate-password')
  @HttpCode(202)
  async rotatePassword(@TenantId() tenantId: string, @Param('id', UuidOr404) id: string) {
    return accepted((await this.rotate.execute(tenantId, id)).id);
  }

  @ApiAcceptedResponse({ type: Accepted })
  @Post('databases/:id/resize')
  @HttpCode(202)
  async resize(@TenantId() tenantId: string, @Param('id', UuidOr404) id: string, @Body() body: ResizeDatabaseDto) {
    return accepted(
      (await this.resizeDb.execute(ResizeDatabaseCommand.create({ tenantId, databaseId: id, plan: body.plan }))).id,
    );
  }

  /**
   * Replaces the database's IP allow-list (`[]`: anyone). 202: the list is the database's from now on (GET shows
   * it) and the operation puts it on the host, without a restart.
   */
  @ApiAcceptedResponse({ type: AllowListAccepted })
  @Put('databases/:id/allowed-cidrs')
  @HttpCode(202)
  async setAllowedCidrs(
    @TenantId() tenantId: string,
    @Param('id', UuidOr404) id: string,
    @Body() body: SetAllowedCidrsDto,
  ) {
    const cmd = SetAllowedCidrsCommand.create({ ...body, tenantId, databaseId: id });
    return { operationId: (await this.allowList.execute(cmd)).id, allowedCidrs: cmd.allowedCidrs };
  }

  @ApiAcceptedResponse({ type: DatabaseAccepted })
  @Post('databases/:id/clones')
  @HttpCode(202)
  async clone(@TenantId() tenantId: string, @Param('id', UuidOr404) id: string, @Body() body: CloneDatabaseDto) {
    const { database, operation } = await this.cloneDb.execute(
      CloneDatabaseCommand.create({ ...body, tenantId, databaseId: id }),
    );
    return { id: database.id, status: database.status, operationId: operation.id };
  }

  @ApiOkResponse({ type: Logs })
  @Get('databases/:id/logs')
  getLogs(@TenantId() tenantId: string, @Param('id', UuidOr404) id: string, @Query() q: LogsQueryDto) {
    return this.logs.execute(tenantId, id, q.tail ?? 100);
  }

  @ApiAcceptedResponse({ type: Accepted })
  @Delete('databases/:id')
  @HttpCode(202)
  async remove(@TenantId() tenantId: string, @Param('id', UuidOr404) id: string, @Query() q: DeleteDatabaseQueryDto) {
    if (q.keepBackups === 'true' && q.purgeBackups === 'true')
      throw new BadRequestException('keepBackups=true and purgeBackups=true contradict each other');
    const purgeBackups = q.purgeBackups === 'true' || q.keepBackups === 'false';
    return accepted((await this.deleteDb.execute(tenantId, id, { purgeBackups, confirm: q.confirm })).id);
  }

  @ApiOkResponse({ type: OperationView })
  @Get('operations/:id')
  getOperation(@TenantId() tenantId: string, @Param('id', UuidOr404) id: string) {
    return this.operation.execute(id, tenantId);
  }
}
