import { type DynamicModule, Global, Module } from '@nestjs/common';
import { LetheMetrics, type LetheMetricsOptions } from './lethe-metrics';
import { MetricsController } from './metrics.controller';

/**
 * One `LetheMetrics` (its own prom-client registry) for the app, injectable everywhere, and the
 * `GET /metrics` route. Global: hooks in libraries inject `LetheMetrics` with `@Optional()`, so a
 * module built without this one (a test) still works and simply exports nothing.
 */
@Global()
@Module({})
export class MetricsModule {
  /**
   * `instance`: an existing `LetheMetrics` for the app (the worker creates its own before Nest
   * starts, because its job consumer runs from boot).
   */
  static forRoot(
    options: LetheMetricsOptions | { readonly instance: LetheMetrics },
  ): DynamicModule {
    const metrics = 'instance' in options ? options.instance : new LetheMetrics(options);
    return {
      module: MetricsModule,
      controllers: [MetricsController],
      providers: [{ provide: LetheMetrics, useValue: metrics }],
      exports: [LetheMetrics],
    };
  }
}
