import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiTags,
  IntersectionType,
  OmitType,
} from '@nestjs/swagger';
import {
  ActivateHostUseCase,
  DrainHostUseCase,
  EvacuateHostUseCase,
  FailoverDatabaseCommand,
  FailoverDatabaseUseCase,
  FenceHostCommand,
  FenceHostUseCase,
  GetFailoverUseCase,
  ListFailoversQuery,
  ListFailoversUseCase,
  Principal,
} from '@app/domain';
import { actorOf, CurrentPrincipal, OperatorOnly } from '../auth/auth.decorators';
import { UuidOr404 } from '../common/params';
import { LimitQueryDto } from './admin.dto';
import { ActivateResult, FailoverView, FenceResult, MoveAwayResult } from '../views/failovers.dto';

export class FailoverDatabaseDto extends OmitType(FailoverDatabaseCommand, ['databaseId'] as const) {}
export class FenceHostDto extends OmitType(FenceHostCommand, ['hostId'] as const) {}
export class ListFailoversDto extends IntersectionType(
  OmitType(ListFailoversQuery, ['limit'] as const),
  LimitQueryDto,
) {}

@ApiTags('admin: failover')
@ApiBearerAuth()
@OperatorOnly()
@Controller('admin/v1')
export class AdminFailoverController {
  constructor(
    private readonly listFailovers: ListFailoversUseCase,
    private readonly getFailover: GetFailoverUseCase,
    private readonly failover: FailoverDatabaseUseCase,
    private readonly drainHost: DrainHostUseCase,
    private readonly evacuateHost: EvacuateHostUseCase,
    private readonly fenceHost: FenceHostUseCase,
    private readonly activateHost: ActivateHostUseCase,
  ) {}

  @ApiOkResponse({ type: [FailoverView] })
  @Get('failovers')
  list(@Query() q: ListFailoversDto) {
    return this.listFailovers.execute(ListFailoversQuery.create({ ...q }));
  }

  @ApiOkResponse({ type: FailoverView })
  @Get('failovers/:id')
  get(@Param('id', UuidOr404) id: string) {
    return this.getFailover.execute(id);
  }

  @ApiAcceptedResponse({ type: FailoverView })
  @Post('databases/:id/failover')
  @HttpCode(202)
  failoverDatabase(
    @CurrentPrincipal() p: Principal,
    @Param('id', UuidOr404) id: string,
    @Body() body: FailoverDatabaseDto,
  ) {
    return this.failover.execute(FailoverDatabaseCommand.create({ ...(body ?? {}), databaseId: id }), actorOf(p));
  }

  @ApiAcceptedResponse({ type: MoveAwayResult })
  @Post('hosts/:id/drain')
  @HttpCode(202)
  drain(@CurrentPrincipal() p: Principal, @Param('id', UuidOr404) id: string) {
    return this.drainHost.execute(id, actorOf(p));
  }

  @ApiAcceptedResponse({ type: MoveAwayResult })
  @Post('hosts/:id/evacuate')
  @HttpCode(202)
  evacuate(@CurrentPrincipal() p: Principal, @Param('id', UuidOr404) id: string) {
    return this.evacuateHost.execute(id, actorOf(p));
  }

  @ApiAcceptedResponse({ type: FenceResult })
  @Post('hosts/:id/fence')
  @HttpCode(202)
  fence(@CurrentPrincipal() p: Principal, @Param('id', UuidOr404) id: string, @Body() body: FenceHostDto) {
    return this.fenceHost.execute(FenceHostCommand.create({ ...(body ?? {}), hostId: id }), actorOf(p));
  }

  @ApiCreatedResponse({ type: ActivateResult })
  @Post('hosts/:id/activate')
  activate(@CurrentPrincipal() p: Principal, @Param('id', UuidOr404) id: string) {
    return this.activateHost.execute(id, actorOf(p));
  }
}
