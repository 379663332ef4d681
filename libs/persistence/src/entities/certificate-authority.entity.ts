import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** The platform's certificate authority (one, named `platform`): it signs every database's server certificate. */
@Entity('certificate_authorities')
export class CertificateAuthorityEntity {
  @PrimaryColumn({ type: 'text' }) name!: string;
  @Column({ name: 'cert_pem', type: 'text' }) certPem!: string;
  // The private key (PKCS#8 PEM) sealed with the master key; never returned by the API.
  @Column({ name: 'key_sealed', type: 'text', select: false }) keySealed!: string;
  @Column({ name: 'not_after', type: 'timestamptz' }) notAfter!: Date;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}
