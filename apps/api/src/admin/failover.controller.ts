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
  FailoverDatabaseCommand,
  FailoverUseCases,
  FenceHostCommand,
  ListFailoversQuery,
  Principal,
} from '@app/domain';
import { actorOf, CurrentPrincipal, OperatorOnly } from '../auth/auth.decorators';
import { UuidOr404 } from '../common/params';
import { LimitQueryDto } from './admin.dto';
import { ActivateResult, FailoverView, FenceResult, MoveAwayResult } from '../views/failovers.dto';

export class FailoverDatabaseDto extends OmitType(FailoverDatabaseCommand, [] as const) {}
export class FenceHostDto extends OmitType(FenceHostCommand, [] as const) {}
export class ListFailoversDto extends IntersectionType(
  OmitType(ListFailoversQuery, ['limit'] as const),
  LimitQueryDto,
) {}

@ApiTags('admin: failover')
@ApiBearerAuth()
@OperatorOnly()
@Controller('admin/v1')
export class AdminFailoverController {
  constructor(private readonly failover: FailoverUseCases) {}

  @ApiOkResponse({ type: [FailoverView] })
  @Get('failovers')
  list(@Query() q: ListFailoversDto) {
    return this.failover.list(ListFailoversQuery.create({ ...q }));
  }

  @ApiOkResponse({ type: FailoverView })
  @Get('failovers/:id')
  get(@Param('id', UuidOr404) id: string) {
    return this.failover.get(id);
  }

  @ApiAcceptedResponse({ type: FailoverView })
  @Post('databases/:id/failover')
  @HttpCode(202)
  failoverDatabase(
    @CurrentPrincipal() p: Principal,
    @Param('id', UuidOr404) id: string,
    @Body() body: FailoverDatabaseDto,
  ) {
    return this.failover.failoverDatabase(id, FailoverDatabaseCommand.create({ ...(body ?? {}) }), actorOf(p));
  }

  @ApiAcceptedResponse({ type: MoveAwayResult })
  @Post('hosts/:id/drain')
  @HttpCode(202)
  drain(@CurrentPrincipal() p: Principal, @Param('id', UuidOr404) id: string) {
    return this.failover.drain(id, actorOf(p));
  }

  @ApiAcceptedResponse({ type: MoveAwayResult })
  @Post('hosts/:id/evacuate')
  @HttpCode(202)
  evacuate(@CurrentPrincipal() p: Principal, @Param('id', UuidOr404) id: string) {
    return this.failover.evacuate(id, actorOf(p));
  }

  @ApiAcceptedResponse({ type: FenceResult })
  @Post('hosts/:id/fence')
  @HttpCode(202)
  fence(@CurrentPrincipal() p: Principal, @Param('id', UuidOr404) id: string, @Body() body: FenceHostDto) {
    return this.failover.fence(id, FenceHostCommand.create({ ...(body ?? {}) }), actorOf(p));
  }

  @ApiCreatedResponse({ type: ActivateResult })
  @Post('hosts/:id/activate')
  activate(@CurrentPrincipal() p: Principal, @Param('id', UuidOr404) id: string) {
    return this.failover.activate(id, actorOf(p));
  }
}
