import { Global, Module } from '@nestjs/common';
import { CommonEnv, ENV } from '@app/config';
import { CERTIFICATE_TOOLKIT, SECRET_BOX } from '@app/domain/ports';
import { SecretBox } from './secret-box';
import { PeculiarCertificateToolkit } from './x509';

@Global()
@Module({
  providers: [
    { provide: SECRET_BOX, inject: [ENV], useFactory: (env: CommonEnv) => new SecretBox(env.MASTER_KEY) },
    { provide: CERTIFICATE_TOOLKIT, useClass: PeculiarCertificateToolkit },
  ],
  exports: [SECRET_BOX, CERTIFICATE_TOOLKIT],
})
export class SecurityModule {}
