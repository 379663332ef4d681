import { Column, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import { asNumber } from './transformers';

/** The operators' placement policy (one row): how far each resource may be promised, and what a hotspot is. */
@Entity('placement_settings')
export class PlacementSettingsEntity {
  @PrimaryColumn({ type: 'smallint', default: 1 }) id!: number;
  @Column({ name: 'cpu_overcommit', type: 'numeric', transformer: asNumber }) cpuOvercommit!: number;
  @Column({ name: 'memory_overcommit', type: 'numeric', transformer: asNumber }) memoryOvercommit!: number;
  @Column({ name: 'disk_overcommit', type: 'numeric', transformer: asNumber }) diskOvercommit!: number;
  @Column({ name: 'hotspot_cpu', type: 'numeric', transformer: asNumber }) hotspotCpu!: number;
  @Column({ name: 'hotspot_memory', type: 'numeric', transformer: asNumber }) hotspotMemory!: number;
  @Column({ name: 'updated_by', type: 'text', nullable: true }) updatedBy!: string | null;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}
