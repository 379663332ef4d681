import { Column, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

const numeric = { to: (v: number) => v, from: (v: string | null) => (v === null ? null : Number(v)) };

/** The operators' placement policy (one row): how far each resource may be promised, and what a hotspot is. */
@Entity('placement_settings')
export class PlacementSettingsEntity {
  @PrimaryColumn({ type: 'smallint', default: 1 }) id!: number;
  @Column({ name: 'cpu_overcommit', type: 'numeric', transformer: numeric }) cpuOvercommit!: number;
  @Column({ name: 'memory_overcommit', type: 'numeric', transformer: numeric }) memoryOvercommit!: number;
  @Column({ name: 'disk_overcommit', type: 'numeric', transformer: numeric }) diskOvercommit!: number;
  @Column({ name: 'hotspot_cpu', type: 'numeric', transformer: numeric }) hotspotCpu!: number;
  @Column({ name: 'hotspot_memory', type: 'numeric', transformer: numeric }) hotspotMemory!: number;
  @Column({ name: 'updated_by', type: 'text', nullable: true }) updatedBy!: string | null;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}
