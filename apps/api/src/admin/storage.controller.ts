import { Body, Controller, Get, Param, Post, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import {
  GetStorageBackendUseCase,
  ListStorageBackendsUseCase,
  Principal,
  RegisterStorageBackendCommand,
  RegisterStorageBackendUseCase,
  SetBackendHostKeyCommand,
  SetBackendHostKeyUseCase,
} from '@app/domain';
import { actorOf, CurrentPrincipal, OperatorOnly } from '../auth/auth.decorators';
import { UuidOr404 } from '../common/params';
import { RegisterStorageBackendDto, SetHostKeyDto } from './admin.dto';

@ApiTags('admin: storage')
@ApiBearerAuth()
@OperatorOnly()
@Controller('admin/v1/storage-backends')
export class AdminStorageController {
  constructor(
    private readonly registerBackend: RegisterStorageBackendUseCase,
    private readonly listBackends: ListStorageBackendsUseCase,
    private readonly getBackend: GetStorageBackendUseCase,
    private readonly hostKey: SetBackendHostKeyUseCase,
  ) {}

  @Post()
  register(@CurrentPrincipal() p: Principal, @Body() body: RegisterStorageBackendDto) {
    return this.registerBackend.execute(RegisterStorageBackendCommand.create({ ...body }), actorOf(p));
  }

  @Get()
  list() {
    return this.listBackends.execute();
  }

  @Get(':id')
  get(@Param('id', UuidOr404) id: string) {
    return this.getBackend.execute(id);
  }

  /** Confirms the key recorded on first contact, or replaces the pinned one. */
  @Put(':id/host-key')
  setHostKey(@CurrentPrincipal() p: Principal, @Param('id', UuidOr404) id: string, @Body() body: SetHostKeyDto) {
    return this.hostKey.execute(SetBackendHostKeyCommand.create({ ...body, storageBackendId: id }), actorOf(p));
  }
}
