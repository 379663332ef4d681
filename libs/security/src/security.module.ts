import { Global, Module } from '@nestjs/common';
import { CommonEnv, ENV } from '@app/config';
import { CERTIFICATE_TOOLKIT, CRYPTOGRAPHY, SECRET_BOX } from '@app/domain/ports';
import { cryptography } from './cryptography.adapter';
import { SecretBox } from './secret-box';
import { PeculiarCertificateToolkit } from './x509';

@Global()
@Module({
  providers: [
    { provide: SECRET_BOX, inject: [ENV], useFactory: (env: CommonEnv) => new SecretBox(env.MASTER_KEY) },
    { provide: CERTIFICATE_TOOLKIT, useClass: PeculiarCertificateToolkit },
    { provide: CRYPTOGRAPHY, useValue: cryptography },
  ],
  exports: [SECRET_BOX, CERTIFICATE_TOOLKIT, CRYPTOGRAPHY],
})
export class SecurityModule {}
