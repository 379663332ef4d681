import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { asNumber } from './transformers';

@Entity('plans')
export class PlanEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ type: 'text', unique: true }) name!: string;
  @Column({ type: 'numeric', precision: 6, scale: 2, transformer: asNumber }) cpus!: number;
  @Column({ name: 'memory_mb', type: 'int' }) memoryMb!: number;
  @Column({ name: 'disk_gb', type: 'int' }) diskGb!: number;
  // null: any host; otherwise only hosts with this storage driver.
  @Column({ name: 'storage_driver', type: 'text', nullable: true }) storageDriver!: string | null;
  // Scheduled backups kept: the newest of each of the last N days and of the last M weeks.
  @Column({ name: 'backup_daily', type: 'int', default: 7 }) backupDaily!: number;
  @Column({ name: 'backup_weekly', type: 'int', default: 4 }) backupWeekly!: number;
  // Limits enforced on the container: disk share (10-1000) and caps, outgoing bandwidth (null: none).
  @Column({ name: 'io_weight', type: 'int', default: 100 }) ioWeight!: number;
  @Column({ name: 'io_read_mbps', type: 'int', nullable: true }) ioReadMbps!: number | null;
  @Column({ name: 'io_write_mbps', type: 'int', nullable: true }) ioWriteMbps!: number | null;
  @Column({ name: 'egress_mbit', type: 'int', nullable: true }) egressMbit!: number | null;
  // Whether the database's container may open connections out (replies to its clients always flow); off: refused.
  @Column({ name: 'allow_egress', type: 'boolean', default: false }) allowEgress!: boolean;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}
