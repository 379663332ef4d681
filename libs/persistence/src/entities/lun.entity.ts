import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export type LunStatus = 'creating' | 'attached' | 'detached' | 'deleting' | 'deleted';

/** A logical volume of a storage backend exported as one iSCSI target, attached to one host at a time. */
@Entity('luns')
export class LunEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ name: 'backend_id', type: 'uuid' }) backendId!: string;
  @Column({ name: 'host_id', type: 'uuid', nullable: true }) hostId!: string | null;
  // The logical volume's name on the storage server.
  @Column({ type: 'text' }) name!: string;
  @Column({ type: 'text' }) iqn!: string;
  @Column({ name: 'size_gb', type: 'int' }) sizeGb!: number;
  @Column({ name: 'chap_user', type: 'text' }) chapUser!: string;
  @Column({ name: 'chap_password', type: 'text', select: false }) chapPassword!: string;
  // The volume group built on the LUN on the host side (one per LUN, so a LUN moves with its volumes).
  @Column({ name: 'host_vg', type: 'text' }) hostVg!: string;
  @Column({ type: 'text', default: 'creating' }) status!: LunStatus;
  // Carries one HA volume only, so it can move to another host on its own.
  @Column({ type: 'boolean', default: false }) dedicated!: boolean;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
  @Column({ name: 'deleted_at', type: 'timestamptz', nullable: true }) deletedAt!: Date | null;
}
