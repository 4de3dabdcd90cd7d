import { Controller, Get } from '@nestjs/common';
import { Public } from '@lethe/shared/infrastructure/http';
import { WorkerStatus } from './worker-status';

@Controller()
export class HealthController {
  constructor(private readonly status: WorkerStatus) {}

  @Public()
  @Get('health')
  health() {
    return { status: 'ok', workerId: this.status.workerId, backend: this.status.backend };
  }
}
