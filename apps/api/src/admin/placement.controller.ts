import { Body, Controller, Get, HttpCode, Post, Put } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import {
  ApplyRebalanceCommand,
  ApplyRebalanceUseCase,
  GetNPlusOneUseCase,
  GetPlacementSettingsUseCase,
  Principal,
  ProposeRebalanceUseCase,
  UpdatePlacementSettingsCommand,
  UpdatePlacementSettingsUseCase,
} from '@app/domain';
import { actorOf, CurrentPrincipal, OperatorOnly } from '../auth/auth.decorators';
import { ApplyRebalanceDto, UpdatePlacementSettingsDto } from './admin.dto';
import { HostLoss, PlacementSettings, RebalanceProposal, RebalanceResult } from '../views/placement.dto';

@ApiTags('admin: placement')
@ApiBearerAuth()
@OperatorOnly()
@Controller('admin/v1/placement')
export class AdminPlacementController {
  constructor(
    private readonly getSettingsUseCase: GetPlacementSettingsUseCase,
    private readonly updateSettingsUseCase: UpdatePlacementSettingsUseCase,
    private readonly nPlusOneUseCase: GetNPlusOneUseCase,
    private readonly proposeUseCase: ProposeRebalanceUseCase,
    private readonly applyUseCase: ApplyRebalanceUseCase,
  ) {}

  @ApiOkResponse({ type: PlacementSettings })
  @Get('settings')
  getSettings() {
    return this.getSettingsUseCase.execute();
  }

  /** Overcommit ratios per resource and hotspot thresholds; omitted fields keep their value. */
  @ApiOkResponse({ type: PlacementSettings })
  @Put('settings')
  updateSettings(@CurrentPrincipal() p: Principal, @Body() body: UpdatePlacementSettingsDto) {
    return this.updateSettingsUseCase.execute(UpdatePlacementSettingsCommand.create({ ...body }), actorOf(p));
  }

  /** For every host: if it died now, where each of its databases would go, and whether everything fits. */
  @ApiOkResponse({ type: [HostLoss] })
  @Get('n-plus-one')
  nPlusOne() {
    return this.nPlusOneUseCase.execute();
  }

  /** Hotspots from measured use, and the fewest moves that relieve them. */
  @ApiOkResponse({ type: RebalanceProposal })
  @Get('rebalance')
  proposeRebalance() {
    return this.proposeUseCase.execute();
  }

  /** Starts the accepted moves of a proposal (each a move operation). */
  @ApiAcceptedResponse({ type: RebalanceResult })
  @Post('rebalance')
  @HttpCode(202)
  applyRebalance(@CurrentPrincipal() p: Principal, @Body() body: ApplyRebalanceDto) {
    return this.applyUseCase.execute(ApplyRebalanceCommand.create({ ...body }), actorOf(p));
  }
}
