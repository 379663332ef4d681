import { Body, Controller, Get, Param, Post, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Principal, RegisterStorageBackendCommand, SetHostKeyCommand, StorageBackendUseCases } from '@app/domain';
import { actorOf, CurrentPrincipal, OperatorOnly } from '../auth/auth.decorators';
import { UuidOr404 } from '../common/params';
import { RegisterStorageBackendDto, SetHostKeyDto } from './admin.dto';

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
