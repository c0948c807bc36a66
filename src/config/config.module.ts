import { Global, Module, type DynamicModule } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import type { AppConfig } from './app-config';

export const APP_CONFIG = Symbol('APP_CONFIG');
/** How this process was started (see AppOptions): what tests and the CLI change about the running service. */
export const APP_OPTIONS = Symbol('APP_OPTIONS');

/**
 * The configuration validated at boot (`loadEnvironment`), available both as `ConfigService`
 * and, typed, under the APP_CONFIG token. Nothing reads process.env after boot. Global: it is
 * the process's setting, not a feature.
 */
@Global()
@Module({})
export class AppConfigModule {
  static forRoot(config: AppConfig, options: object = {}): DynamicModule {
    return {
      module: AppConfigModule,
      imports: [ConfigModule.forRoot({ ignoreEnvFile: true, isGlobal: true, load: [() => ({ ...config })] })],
      providers: [
        { provide: APP_CONFIG, useValue: config },
        { provide: APP_OPTIONS, useValue: options },
      ],
      exports: [APP_CONFIG, APP_OPTIONS],
    };
  }
}
