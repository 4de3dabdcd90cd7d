import { Controller, Get } from '@nestjs/common';
import { Public } from '@lethe/shared/infrastructure/http';
import { currentBackend } from '@lethe/unlearning';
import { WorkerStatus } from './worker-status';

@Controller()
export class HealthController {
  constructor(private readonly status: WorkerStatus) {}

  /**
   * Liveness plus what the engine runs on: the tfjs backend, its versions (the TensorFlow C
   * library's when native), and why a preferred backend was skipped (with the install step's
   * reason when the native build did not happen).
   */
  @Public()
  @Get('health')
  health() {
    const tf = currentBackend();
    const base = { status: 'ok', workerId: this.status.workerId, jobs: this.status.jobs() };
    if (!tf) return { ...base, backend: this.status.backend };
    return {
      ...base,
      backend: tf.name,
      ...(tf.binding ? { binding: tf.binding } : {}),
      versions: tf.versions,
      fallbacks: tf.fallbacks,
    };
  }
}
