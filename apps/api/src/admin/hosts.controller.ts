import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { HostUseCases, Principal, RegisterHostCommand, SetFencingCommand, SetHostKeyCommand } from '@app/domain';
import { actorOf, CurrentPrincipal, OperatorOnly } from '../auth/auth.decorators';
import { UuidOr404 } from '../common/params';
import { RegisterHostDto, SetFencingDto, SetHostKeyDto } from './admin.dto';

@ApiTags('admin: hosts')
@ApiBearerAuth()
@OperatorOnly()
@Controller('admin/v1/hosts')
export class AdminHostsController {
  constructor(private readonly hosts: HostUseCases) {}

  @Post()
  register(@CurrentPrincipal() p: Principal, @Body() body: RegisterHostDto) {
    return this.hosts.register(RegisterHostCommand.create({ ...body }), actorOf(p));
  }

  @Get()
  list() {
    return this.hosts.list();
  }

  @Get(':id')
  get(@Param('id', UuidOr404) id: string) {
    return this.hosts.get(id);
  }

  /** Confirms the key recorded on first contact, or replaces the pinned one. */
  @Put(':id/host-key')
  setHostKey(@CurrentPrincipal() p: Principal, @Param('id', UuidOr404) id: string, @Body() body: SetHostKeyDto) {
    return this.hosts.setHostKey(id, SetHostKeyCommand.create({ ...body }), actorOf(p));
  }

  /** Replaces the fencing (`{fencing: null}`: none); a secret parameter sent as "***" keeps the stored one. */
  @Put(':id/fencing')
  setFencing(@CurrentPrincipal() p: Principal, @Param('id', UuidOr404) id: string, @Body() body: SetFencingDto) {
    return this.hosts.setFencing(id, SetFencingCommand.create({ ...body }), actorOf(p));
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@CurrentPrincipal() p: Principal, @Param('id', UuidOr404) id: string) {
    await this.hosts.remove(id, actorOf(p));
  }
}
