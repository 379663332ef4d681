import { InjectQueue } from '@nestjs/bull';
import { Inject, Injectable } from '@nestjs/common';
import type { Queue } from 'bull';
import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { CommonEnv, ENV } from '@app/config';
import {
  DATABASE_REPOSITORY,
  DatabaseRepository,
  EVENT_REPOSITORY,
  EventRepository,
  FLEET_QUERIES,
  FleetQueries,
  HOST_REPOSITORY,
  HostRepository,
  OPERATION_REPOSITORY,
  OperationRepository,
} from '@app/domain';
import { QueueName, jobCounterKey, processStartsKey } from '@app/jobs';
import {
  quotaStateValue,
  readFleetAlarm,
  type ContainerSeries,
  type DatabaseSeries,
  type DurationSeries,
} from '@app/domain';

interface HostRow {
  name: string;
  status: string;
  capacity: { cpus: number; memoryMb: number; diskGb: number };
  promised: { cpus: number; memoryMb: number; diskGb: number; databases: number };
  used: { cpu: number; memory: number; tx: number; rx: number; read: number; write: number };
}

/**
 * A histogram whose buckets are counted by PostgreSQL from the rows themselves (operations and failovers are
 * the record): exact across API replicas and restarts, with nothing to keep in memory.
 */
function durationHistogram(name: string, help: string, buckets: number[], read: () => Promise<DurationSeries[]>) {
  return {
    name,
    help,
    type: 'histogram',
    aggregator: 'sum',
    async get() {
      const values: { metricName: string; labels: Record<string, string | number>; value: number }[] = [];
      for (const s of await read()) {
        buckets.forEach((le, i) =>
          values.push({ metricName: `${name}_bucket`, labels: { ...s.labels, le }, value: s.cumulative[i] }),
        );
        values.push({ metricName: `${name}_bucket`, labels: { ...s.labels, le: '+Inf' }, value: s.count });
        values.push({ metricName: `${name}_sum`, labels: s.labels, value: s.sum });
        values.push({ metricName: `${name}_count`, labels: s.labels, value: s.count });
      }
      return { name, help, type: 'histogram', aggregator: 'sum', values };
    },
    reset() {},
  };
}

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
    @Inject(FLEET_QUERIES) private readonly fleet: FleetQueries,
    @Inject(HOST_REPOSITORY) private readonly hosts: HostRepository,
    @Inject(EVENT_REPOSITORY) private readonly events: EventRepository,
  ) {
    collectDefaultMetrics({ register: this.registry, prefix: 'dbaas_api_' });
    this.fleetMetrics();
    // prom-client calls collect() with the metric as `this`; the dependencies are captured here.
    const [jobQueue, operationRepo, databaseRepo, prefix] = [
      this.queue,
      this.operations,
      this.databases,
      this.env.QUEUE_PREFIX,
    ];
    const eventRepo = this.events;
    new Counter({
      name: 'dbaas_host_key_mismatches_total',
      help: 'SSH connections refused because the server presented another key than the pinned one (host.key-mismatch events)',
      registers: [this.registry],
      async collect() {
        this.reset();
        this.inc(await eventRepo.countByType('host.key-mismatch'));
      },
    });
    const hostRepo = this.hosts;
    const fleetAlarm = async () => readFleetAlarm(eventRepo, await hostRepo.list());
    new Gauge({
      name: 'dbaas_fleet_alarm',
      help: "1 while the failover worker's brake is on: automatic fencing stopped, operators fence host by host",
      registers: [this.registry],
      async collect() {
        this.set((await fleetAlarm()).raised ? 1 : 0);
      },
    });
    new Gauge({
      name: 'dbaas_hosts_unreachable',
      help: 'Hosts the control plane cannot reach but has not declared down (grace, brake, or witnesses disagree)',
      registers: [this.registry],
      async collect() {
        this.set((await fleetAlarm()).hosts.length);
      },
    });
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
    new Counter({
      name: 'dbaas_process_starts_total',
      help: 'Starts of the API and worker processes (all replicas); each after the first is a supervisor restart',
      labelNames: ['process'],
      registers: [this.registry],
      async collect() {
        const all = await jobQueue.client.hgetall(processStartsKey(prefix));
        this.reset();
        for (const [name, n] of Object.entries(all)) this.inc({ process: name }, Number(n));
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

  /**
   * What each database's container really uses (sampled by the worker), labelled with its tenant, database,
   * engine and host; per host, its capacity, what is promised on it and what its containers use; and the
   * durations of operations and failovers as histograms computed from their rows.
   */
  private fleetMetrics(): void {
    const [fleet, hosts, registry] = [this.fleet, this.hosts, this.registry];
    const labelNames = ['tenant', 'database', 'database_id', 'engine', 'host'] as const;
    const perContainer: [string, string, 'gauge' | 'counter', (s: ContainerSeries['sample']) => number][] = [
      [
        'dbaas_container_cpu_cores',
        'CPU cores busy (average over the last sampling interval)',
        'gauge',
        (s) => s.cpuCores,
      ],
      ['dbaas_container_cpu_seconds_total', 'CPU time used by the container', 'counter', (s) => s.cpuSecondsTotal],
      [
        'dbaas_container_memory_bytes',
        'Memory used by the container (without page cache)',
        'gauge',
        (s) => s.memoryBytes,
      ],
      ['dbaas_container_memory_limit_bytes', 'Memory limit of the container', 'gauge', (s) => s.memoryLimitBytes],
      [
        'dbaas_container_network_receive_bytes_total',
        'Bytes received by the container',
        'counter',
        (s) => s.netRxBytes,
      ],
      ['dbaas_container_network_transmit_bytes_total', 'Bytes sent by the container', 'counter', (s) => s.netTxBytes],
      ['dbaas_container_blkio_read_bytes_total', 'Bytes read from block devices', 'counter', (s) => s.blkReadBytes],
      ['dbaas_container_blkio_write_bytes_total', 'Bytes written to block devices', 'counter', (s) => s.blkWriteBytes],
      [
        'dbaas_container_sample_age_seconds',
        'Seconds since the sample was taken',
        'gauge',
        (s) => (Date.now() - s.sampledAt.getTime()) / 1000,
      ],
    ];
    // One scrape reads the samples once, whatever the number of series.
    let pending: Promise<ContainerSeries[]> | null = null;
    const series = () => {
      pending ??= fleet.containerSeries().finally(() => setTimeout(() => (pending = null), 0));
      return pending;
    };
    for (const [name, help, type, pick] of perContainer) {
      const Metric = type === 'gauge' ? Gauge : Counter;
      new Metric({
        name,
        help,
        labelNames,
        registers: [registry],
        async collect() {
          this.reset();
          for (const c of await series()) {
            const labels = {
              tenant: c.tenant,
              database: c.database,
              database_id: c.databaseId,
              engine: c.engine,
              host: c.host,
            };
            if (this instanceof Gauge) this.set(labels, pick(c.sample));
            else (this as Counter).inc(labels, pick(c.sample));
          }
        },
      });
    }
    const dbLabels = ['tenant', 'database', 'database_id', 'engine', 'host', 'ha'] as const;
    const perDatabase: [string, string, (d: DatabaseSeries) => number | null][] = [
      ['dbaas_database_up', '1 when the database is running', (d) => (d.status === 'running' ? 1 : 0)],
      ['dbaas_database_volume_used_bytes', 'Bytes used on the database volume (measured)', (d) => d.volumeUsedBytes],
      ['dbaas_database_volume_size_bytes', 'Size of the database volume', (d) => d.volumeSizeBytes],
      [
        'dbaas_volume_quota_ratio',
        'Directory volumes: bytes used over the plan (1: full; the database is read-only from there)',
        (d) =>
          d.volumeDriver === 'directory' && d.volumeUsedBytes !== null && d.volumeSizeBytes
            ? d.volumeUsedBytes / d.volumeSizeBytes
            : null,
      ],
      [
        'dbaas_volume_quota_state',
        'Directory volumes: 0 ok, 1 warning (80 %), 2 critical (90 %), 3 read-only (100 %)',
        (d) => (d.volumeDriver === 'directory' && d.quotaState ? quotaStateValue(d.quotaState) : null),
      ],
    ];
    for (const [name, help, pick] of perDatabase) {
      new Gauge({
        name,
        help,
        labelNames: dbLabels,
        registers: [registry],
        async collect() {
          this.reset();
          for (const d of await fleet.databaseSeries()) {
            const v = pick(d);
            if (v === null) continue; // not measured yet: no sample rather than a false zero
            this.set(
              {
                tenant: d.tenant,
                database: d.database,
                database_id: d.databaseId,
                engine: d.engine,
                host: d.host,
                ha: d.ha,
              },
              v,
            );
          }
        },
      });
    }
    const perHost: [string, string, (h: HostRow) => number][] = [
      [
        'dbaas_host_up',
        '1 when the host is active or draining',
        (h) => (h.status === 'active' || h.status === 'draining' ? 1 : 0),
      ],
      ['dbaas_host_capacity_cpus', 'CPUs the host offers', (h) => h.capacity.cpus],
      ['dbaas_host_capacity_memory_bytes', 'Memory the host offers', (h) => h.capacity.memoryMb * 2 ** 20],
      ['dbaas_host_capacity_disk_bytes', 'Disk the host offers', (h) => h.capacity.diskGb * 2 ** 30],
      ['dbaas_host_promised_cpus', "CPUs promised by the plans of the host's databases", (h) => h.promised.cpus],
      [
        'dbaas_host_promised_memory_bytes',
        "Memory promised by the plans of the host's databases",
        (h) => h.promised.memoryMb * 2 ** 20,
      ],
      [
        'dbaas_host_promised_disk_bytes',
        "Disk promised by the plans of the host's databases",
        (h) => h.promised.diskGb * 2 ** 30,
      ],
      ['dbaas_host_databases', 'Live databases placed on the host', (h) => h.promised.databases],
      ['dbaas_host_used_cpu_cores', "CPU cores busy in the host's database containers", (h) => h.used.cpu],
      ['dbaas_host_used_memory_bytes', "Memory used by the host's database containers", (h) => h.used.memory],
      ['dbaas_host_network_transmit_bytes_total', "Bytes sent by the host's database containers", (h) => h.used.tx],
      ['dbaas_host_network_receive_bytes_total', "Bytes received by the host's database containers", (h) => h.used.rx],
      ['dbaas_host_blkio_read_bytes_total', "Bytes read by the host's database containers", (h) => h.used.read],
      ['dbaas_host_blkio_write_bytes_total', "Bytes written by the host's database containers", (h) => h.used.write],
    ];
    let hostPending: Promise<HostRow[]> | null = null;
    const hostRows = () => {
      hostPending ??= (async () => {
        const [all, usage, samples] = await Promise.all([hosts.list(), hosts.usage(), series()]);
        return all.map((h) => {
          const u = usage.find((x) => x.hostId === h.id);
          const mine = samples.filter((c) => c.sample.hostId === h.id).map((c) => c.sample);
          const sum = (f: (s: ContainerSeries['sample']) => number) => mine.reduce((a, s) => a + f(s), 0);
          return {
            name: h.name,
            status: h.status,
            capacity: h.capacity,
            promised: {
              cpus: u?.cpus ?? 0,
              memoryMb: u?.memoryMb ?? 0,
              diskGb: u?.diskGb ?? 0,
              databases: u?.databases ?? 0,
            },
            used: {
              cpu: sum((s) => s.cpuCores),
              memory: sum((s) => s.memoryBytes),
              tx: sum((s) => s.netTxBytes),
              rx: sum((s) => s.netRxBytes),
              read: sum((s) => s.blkReadBytes),
              write: sum((s) => s.blkWriteBytes),
            },
          };
        });
      })().finally(() => setTimeout(() => (hostPending = null), 0));
      return hostPending;
    };
    for (const [name, help, pick] of perHost) {
      const counter = name.endsWith('_total');
      const Metric = counter ? Counter : Gauge;
      new Metric({
        name,
        help,
        labelNames: ['host'],
        registers: [registry],
        async collect() {
          this.reset();
          for (const h of await hostRows()) {
            if (this instanceof Gauge) this.set({ host: h.name }, pick(h));
            else (this as Counter).inc({ host: h.name }, pick(h));
          }
        },
      });
    }
    registry.registerMetric(
      durationHistogram(
        'dbaas_operation_duration_seconds',
        'Operations from start to end, by type and status',
        [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600],
        () => fleet.durationBuckets('operation', [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600]),
      ) as never,
    );
    registry.registerMetric(
      durationHistogram(
        'dbaas_failover_duration_seconds',
        'Failovers from detection until the database answers again (or the failover ends failed), by ha, reason and status',
        [5, 10, 20, 30, 60, 90, 120, 180, 300, 600],
        () => fleet.durationBuckets('failover', [5, 10, 20, 30, 60, 90, 120, 180, 300, 600]),
      ) as never,
    );
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
