import { InjectQueue } from '@nestjs/bull';
import { Inject, Injectable } from '@nestjs/common';
import type { Queue } from 'bull';
import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { CommonEnv, ENV } from '@app/config';
import { DATABASE_REPOSITORY, DatabaseRepository, OPERATION_REPOSITORY, OperationRepository } from '@app/domain';
import { QueueName, jobCounterKey } from '@app/jobs';

/** Prometheus metrics: HTTP traffic (this process), queue and job counters (shared in Redis), fleet gauges (from PostgreSQL). */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  private readonly requests = new Counter({
    name: 'dbaas_http_requests_total',
    help: 'HTTP requests by method, route and status',
    labelNames: ['method', 'route', 'status'],
    registers: [this.registry],
  });
  private readonly latency = new Histogram({
    name: 'dbaas_http_request_duration_seconds',
    help: 'HTTP request duration',
    labelNames: ['method', 'route'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  constructor(
    @InjectQueue(QueueName.Databases) private readonly queue: Queue,
    @Inject(OPERATION_REPOSITORY) private readonly operations: OperationRepository,
    @Inject(DATABASE_REPOSITORY) private readonly databases: DatabaseRepository,
    @Inject(ENV) private readonly env: CommonEnv,
  ) {
    collectDefaultMetrics({ register: this.registry, prefix: 'dbaas_api_' });
    // prom-client calls collect() with the metric as `this`; the dependencies are captured here.
    const [jobQueue, operationRepo, databaseRepo, prefix] = [
      this.queue,
      this.operations,
      this.databases,
      this.env.QUEUE_PREFIX,
    ];
    new Gauge({
      name: 'dbaas_queue_jobs',
      help: 'Jobs in the queue by state',
      labelNames: ['queue', 'state'],
      registers: [this.registry],
      async collect() {
        const counts = await jobQueue.getJobCounts();
        for (const [state, n] of Object.entries(counts)) this.set({ queue: QueueName.Databases, state }, n);
      },
    });
    new Counter({
      name: 'dbaas_jobs_total',
      help: 'Job attempts finished by the workers, by job name and result',
      labelNames: ['job', 'result'],
      registers: [this.registry],
      async collect() {
        const all = await jobQueue.client.hgetall(jobCounterKey(prefix));
        this.reset();
        for (const [field, n] of Object.entries(all)) {
          const [job, result] = field.split('|');
          this.inc({ job, result }, Number(n));
        }
      },
    });
    new Gauge({
      name: 'dbaas_operations',
      help: 'Operations by type and status',
      labelNames: ['type', 'status'],
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const r of await operationRepo.countByTypeAndStatus())
          this.set({ type: r.type, status: r.status }, r.count);
      },
    });
    new Gauge({
      name: 'dbaas_databases',
      help: 'Live databases by engine and status',
      labelNames: ['engine', 'status'],
      registers: [this.registry],
      async collect() {
        this.reset();
        const counts = new Map<string, number>();
        for (const db of await databaseRepo.list({})) {
          const k = `${db.engine}|${db.status}`;
          counts.set(k, (counts.get(k) ?? 0) + 1);
        }
        for (const [k, n] of counts) {
          const [engine, status] = k.split('|');
          this.set({ engine, status }, n);
        }
      },
    });
  }

  /** Counts every response, including the 401s and 404s that never reach a controller. */
  attach(app: FastifyInstance): void {
    app.addHook('onResponse', (req, reply, done) => {
      const route = req.routeOptions?.url ?? 'unmatched';
      this.requests.inc({ method: req.method, route, status: String(reply.statusCode) });
      this.latency.observe({ method: req.method, route }, reply.elapsedTime / 1000);
      done();
    });
  }
}
