import { Global, Module } from '@nestjs/common';
import { CommonEnv, ENV } from '@app/config';
import { SECRET_BOX } from '@app/domain/ports';
import { SecretBox } from './secret-box';

@Global()
@Module({
  providers: [{ provide: SECRET_BOX, inject: [ENV], useFactory: (env: CommonEnv) => new SecretBox(env.MASTER_KEY) }],
  exports: [SECRET_BOX],
})
export class SecurityModule {}
