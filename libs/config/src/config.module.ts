import { DynamicModule, Global, Module } from '@nestjs/common';
import { CommonEnv, loadEnv } from './env';

/** Token under which the app's validated environment is injected (`@Inject(ENV) env: ApiEnv`). */
export const ENV = Symbol('ENV');

@Global()
@Module({})
export class ConfigModule {
  static forRoot<T extends CommonEnv>(cls: new () => T, env?: T): DynamicModule {
    const value = env ?? loadEnv(cls);
    return { module: ConfigModule, providers: [{ provide: ENV, useValue: value }], exports: [ENV] };
  }
}
