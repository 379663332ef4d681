import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/**
 * `current` signs new certificates (one at a time); `previous` ones stay trusted in the bundle until no database holds
 * a certificate they signed; `retired` ones have left it (their key dropped).
 */
export type CertificateAuthorityState = 'current' | 'previous' | 'retired';

/**
 * A certificate authority of the platform: the first is named `platform` (made at first start), each rotation adds
 * one. It signs every database's server certificate.
 */
@Entity('certificate_authorities')
export class CertificateAuthorityEntity {
  @PrimaryColumn({ type: 'text' }) name!: string;
  @Column({ name: 'cert_pem', type: 'text' }) certPem!: string;
  // The private key (PKCS#8 PEM) sealed with the master key; never returned by the API; null once retired.
  @Column({ name: 'key_sealed', type: 'text', select: false, nullable: true }) keySealed!: string | null;
  @Column({ name: 'not_after', type: 'timestamptz' }) notAfter!: Date;
  @Column({ type: 'text', default: 'current' }) state!: CertificateAuthorityState;
  /** When a rotation put another in its place. */
  @Column({ name: 'rotated_at', type: 'timestamptz', nullable: true }) rotatedAt!: Date | null;
  /** From when the certificates it signed are replaced by the renewal job (null: at their own renewal). */
  @Column({ name: 'reissue_at', type: 'timestamptz', nullable: true }) reissueAt!: Date | null;
  @Column({ name: 'retired_at', type: 'timestamptz', nullable: true }) retiredAt!: Date | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}
