import type { IntakeDoor, IntakeOutcome } from '@lethe/shared/infrastructure/metrics';

/**
 * Where the intake counts what became of each inbound deletion event (docs/adr/0014-observability.md):
 * `LetheMetrics` in the apps; nothing when no metrics module is configured.
 */
export interface IntakeMetrics {
  countIntake(door: IntakeDoor, outcome: IntakeOutcome, code?: string, n?: number): void;
}

export const noIntakeMetrics: IntakeMetrics = { countIntake: () => undefined };
