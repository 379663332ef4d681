import { InjectQueue } from '@nestjs/bull';
import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { ApiTags } from '@nestjs/swagger';
import type { Queue } from 'bull';
import { DataSource } from 'typeorm';
import { withTimeout } from '@app/domain/shared/timeout';
import { QueueName } from '@app/jobs';
import { Public } from '../auth/auth.decorators';

const within = <T>(p: Promise<T>, ms: number) => withTimeout(p, ms, 'timeout');

@ApiTags('health')
@Public()
@Controller('healthz')
export class HealthController {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    @InjectQueue(QueueName.Databases) private readonly queue: Queue,
  ) {}

  /** 200 when the metadata database and Redis answer; 503 naming the one that does not. */
  @Get()
  async check() {
    const checks = {
      postgres: await within(this.ds.query('SELECT 1'), 2000).then(
        () => 'ok',
        () => 'down',
      ),
      redis: await within(this.queue.client.ping(), 2000).then(
        () => 'ok',
        () => 'down',
      ),
    };
    const ok = Object.values(checks).every((v) => v === 'ok');
    if (!ok) throw new ServiceUnavailableException(`unhealthy: ${JSON.stringify(checks)}`);
    return { status: 'ok', checks };
  }
}
