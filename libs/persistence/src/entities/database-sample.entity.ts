import { Column, Entity, PrimaryColumn } from 'typeorm';
import { asNumber } from './transformers';

/** The latest measurement of a database's container: what it really uses (counters as the kernel gives them). */
@Entity('database_samples')
export class DatabaseSampleEntity {
  @PrimaryColumn({ name: 'database_id', type: 'uuid' }) databaseId!: string;
  @Column({ name: 'host_id', type: 'uuid' }) hostId!: string;
  /** Cores busy on average between the engine's two last readings. */
  @Column({ name: 'cpu_cores', type: 'numeric', transformer: asNumber }) cpuCores!: number;
  @Column({ name: 'cpu_seconds_total', type: 'double precision' }) cpuSecondsTotal!: number;
  @Column({ name: 'memory_bytes', type: 'bigint', transformer: asNumber }) memoryBytes!: number;
  @Column({ name: 'memory_limit_bytes', type: 'bigint', transformer: asNumber }) memoryLimitBytes!: number;
  @Column({ name: 'net_rx_bytes', type: 'bigint', transformer: asNumber }) netRxBytes!: number;
  @Column({ name: 'net_tx_bytes', type: 'bigint', transformer: asNumber }) netTxBytes!: number;
  @Column({ name: 'blk_read_bytes', type: 'bigint', transformer: asNumber }) blkReadBytes!: number;
  @Column({ name: 'blk_write_bytes', type: 'bigint', transformer: asNumber }) blkWriteBytes!: number;
  @Column({ name: 'sampled_at', type: 'timestamptz' }) sampledAt!: Date;
}
