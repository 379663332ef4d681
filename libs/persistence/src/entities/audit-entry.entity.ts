import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** One write on the admin or tenant API: who did what to which resource, and how it ended. Append-only. */
@Entity('audit_entries')
export class AuditEntryEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  /** `operator:<name>`, `tenant-key:<key id>`, or `anonymous` for a refused attempt. */
  @Column({ type: 'text' }) actor!: string;
  @Column({ type: 'text' }) method!: string;
  /** The concrete path that was called. */
  @Column({ type: 'text' }) path!: string;
  /** The route pattern (`POST /admin/v1/hosts/:id/drain`): groups the same action over many resources. */
  @Column({ type: 'text' }) action!: string;
  /** The resource acted on (the route's `:id`), when there is one. */
  @Column({ type: 'text', nullable: true }) target!: string | null;
  @Column({ name: 'status_code', type: 'int' }) statusCode!: number;
  /** The request body with secrets replaced by `***`. */
  @Column({ type: 'jsonb', default: {} }) detail!: Record<string, unknown>;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}
