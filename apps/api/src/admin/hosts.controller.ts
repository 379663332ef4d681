import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import {
  GetHostUseCase,
  ListHostsUseCase,
  Principal,
  RegisterHostCommand,
  RegisterHostUseCase,
  RemoveHostUseCase,
  SetFencingCommand,
  SetFencingUseCase,
  SetHostKeyCommand,
  SetHostKeyUseCase,
} from '@app/domain';
import { actorOf, CurrentPrincipal, OperatorOnly } from '../auth/auth.decorators';
import { UuidOr404 } from '../common/params';
import { RegisterHostDto, SetFencingDto, SetHostKeyDto } from './admin.dto';
import { HostDetail, HostListItem, HostView } from '../views/hosts.dto';

@ApiTags('admin: hosts')
@ApiBearerAuth()
@OperatorOnly()
@Controller('admin/v1/hosts')
export class AdminHostsController {
  constructor(
    private readonly registerHost: RegisterHostUseCase,
    private readonly listHosts: ListHostsUseCase,
    private readonly getHost: GetHostUseCase,
    private readonly hostKey: SetHostKeyUseCase,
    private readonly fencing: SetFencingUseCase,
    private readonly removeHost: RemoveHostUseCase,
  ) {}

  @ApiCreatedResponse({ type: HostView })
  @Post()
  register(@CurrentPrincipal() p: Principal, @Body() body: RegisterHostDto) {
    return this.registerHost.execute(RegisterHostCommand.create({ ...body }), actorOf(p));
  }

  @ApiOkResponse({ type: [HostListItem] })
  @Get()
  list() {
    return this.listHosts.execute();
  }

  @ApiOkResponse({ type: HostDetail })
  @Get(':id')
  get(@Param('id', UuidOr404) id: string) {
    return this.getHost.execute(id);
  }

  /** Confirms the key recorded on first contact, or replaces the pinned one. */
  @ApiOkResponse({ type: HostView })
  @Put(':id/host-key')
  setHostKey(@CurrentPrincipal() p: Principal, @Param('id', UuidOr404) id: string, @Body() body: SetHostKeyDto) {
    return this.hostKey.execute(SetHostKeyCommand.create({ ...body, hostId: id }), actorOf(p));
  }

  /** Replaces the fencing (`{fencing: null}`: none); a secret parameter sent as "***" keeps the stored one. */
  @ApiOkResponse({ type: HostView })
  @Put(':id/fencing')
  setFencing(@CurrentPrincipal() p: Principal, @Param('id', UuidOr404) id: string, @Body() body: SetFencingDto) {
    return this.fencing.execute(SetFencingCommand.create({ ...body, hostId: id }), actorOf(p));
  }

  @ApiNoContentResponse()
  @Delete(':id')
  @HttpCode(204)
  async remove(@CurrentPrincipal() p: Principal, @Param('id', UuidOr404) id: string) {
    await this.removeHost.execute(id, actorOf(p));
  }
}
