import type { MessageMetadata } from '@lethe/shared';
import { CodedError } from '@lethe/shared';
import type { Event, RecordedEvent } from './event';
import { EventStoreErrorCodes } from './errors';

/**
 * A pure function that upgrades the payload of `type` at schema version `fromVersion` to
 * `fromVersion + 1` (and may rename the type). Stored events are never rewritten: upcasters run on
 * every read.
 */
export interface Upcaster {
  readonly type: string;
  readonly fromVersion: number;
  readonly upcast: (data: unknown, metadata: MessageMetadata) => { data: unknown; type?: string };
}

const keyOf = (type: string, version: number): string => `${version}\u0000${type}`;

/** Upcasters by (type, schemaVersion); `upcast` chains them until none matches. */
export class UpcasterRegistry {
  private readonly byKey = new Map<string, Upcaster>();

  constructor(upcasters: readonly Upcaster[] = []) {
    for (const u of upcasters) this.register(u);
  }

  register(upcaster: Upcaster): this {
    const key = keyOf(upcaster.type, upcaster.fromVersion);
    if (this.byKey.has(key)) {
      throw new CodedError(
        EventStoreErrorCodes.upcasterDuplicate,
        'validation',
        `two upcasters for ${upcaster.type} v${upcaster.fromVersion}`,
        { type: upcaster.type, fromVersion: upcaster.fromVersion },
      );
    }
    this.byKey.set(key, upcaster);
    return this;
  }

  get size(): number {
    return this.byKey.size;
  }

  upcast<E extends Event>(event: RecordedEvent<E>): RecordedEvent<E> {
    if (this.byKey.size === 0) return event;
    let type: string = event.type;
    let version = event.schemaVersion;
    let data: unknown = event.data;
    let changed = false;
    // Bounded: each step raises the version, and there are finitely many upcasters.
    for (
      let u = this.byKey.get(keyOf(type, version));
      u;
      u = this.byKey.get(keyOf(type, version))
    ) {
      const metadata = { ...event.metadata, schemaVersion: version };
      const out = u.upcast(data, metadata);
      data = out.data;
      type = out.type ?? type;
      version += 1;
      changed = true;
    }
    if (!changed) return event;
    return {
      ...event,
      type,
      data,
      schemaVersion: version,
      metadata: { ...event.metadata, schemaVersion: version },
    };
  }
}

export const NO_UPCASTERS = new UpcasterRegistry();
