import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import {
  AuditLog,
  GetFleetAlarmUseCase,
  GetFleetOverviewUseCase,
  GetStorageInventoryUseCase,
  ListEventsUseCase,
} from '@app/domain';
import { OperatorOnly } from '../auth/auth.decorators';
import { AuditQueryDto, EventsQueryDto } from './admin.dto';
import { EventView, FleetAlarm, Overview, Storage } from '../views/fleet.dto';
import { AuditEntry } from '../views/tenants.dto';

@ApiTags('admin: fleet')
@ApiBearerAuth()
@OperatorOnly()
@Controller('admin/v1')
export class AdminFleetController {
  constructor(
    private readonly overview: GetFleetOverviewUseCase,
    private readonly storage: GetStorageInventoryUseCase,
    private readonly audit: AuditLog,
    private readonly events: ListEventsUseCase,
    private readonly alarm: GetFleetAlarmUseCase,
  ) {}

  /** Hosts up/down, databases by status, failovers of the last 24 h, capacity per host. */
  @ApiOkResponse({ type: Overview })
  @Get('overview')
  getOverview() {
    return this.overview.execute();
  }

  /** The failover worker's brake: raised or not, since when, and the hosts not reached and not condemned. */
  @ApiOkResponse({ type: FleetAlarm })
  @Get('fleet/alarm')
  getAlarm() {
    return this.alarm.execute();
  }

  /** Backends with their volume group's free space and LUNs, and each host's data root (read live). */
  @ApiOkResponse({ type: Storage })
  @Get('storage')
  getStorage() {
    return this.storage.execute();
  }

  /** Operator actions on the admin API, newest first. */
  @ApiOkResponse({ type: [AuditEntry] })
  @Get('audit')
  listAudit(@Query() q: AuditQueryDto) {
    return this.audit.list(q);
  }

  /** Fleet events, newest first (e.g. ?type=host.key-mismatch: impostors refused at a host's address). */
  @ApiOkResponse({ type: [EventView] })
  @Get('events')
  listEvents(@Query() q: EventsQueryDto) {
    return this.events.execute(q);
  }
}
