import { createHash, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { Principal } from './principal';
import { ROLES, type Role } from './roles';

/** What an API key authenticates as. */
export interface ApiKeyPrincipal {
  readonly name: string;
  readonly roles: readonly Role[];
  /** CloudEvent sources the key may publish and read (unbound when absent). */
  readonly sources?: readonly string[];
}

export interface ApiKeyConfig extends ApiKeyPrincipal {
  readonly key: string;
}

interface ApiKeyEntry extends ApiKeyPrincipal {
  readonly digest: Buffer;
}

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/**
 * Zod schema for `LETHE_API_KEYS`: comma-separated entries `name:key:role+role` or, binding the key
 * to CloudEvent sources, `name:key:role+role:source|source`. Everything after the third `:` is the
 * source list (sources are URIs and contain `:`), separated by `|` (not valid in a URI). E.g.
 * `crm:s3cret-key-1234:publisher:urn:lethe:app:crm,dpo:other-key-5678:compliance+auditor`. Keys
 * must be ≥ 16 characters. A key without sources is not bound (the syntax before bindings).
 */
export const apiKeysSchema = z
  .string({ required_error: 'required (name:key:role+role[:source|source],...)' })
  .min(1)
  .transform((raw, ctx) => {
    const entries: ApiKeyConfig[] = [];
    raw.split(',').forEach((part, i) => {
      const [name, key, roles, ...rest] = part.trim().split(':');
      if (!name || !key || !roles) {
        ctx.addIssue({
          code: 'custom',
          message: `entry ${i + 1}: expected name:key:role+role[:source|source]`,
        });
        return;
      }
      if (key.length < 16)
        ctx.addIssue({
          code: 'custom',
          message: `entry ${i + 1} (${name}): key shorter than 16 characters`,
        });
      const list = roles.split('+');
      const bad = list.filter((r) => !(ROLES as readonly string[]).includes(r));
      if (bad.length > 0) {
        ctx.addIssue({
          code: 'custom',
          message: `entry ${i + 1} (${name}): unknown role(s) ${bad.join(', ')}; known: ${ROLES.join(', ')}`,
        });
      }
      let sources: string[] | undefined;
      if (rest.length > 0) {
        sources = rest.join(':').split('|');
        if (sources.some((s) => s.trim().length === 0 || s.length > 500)) {
          ctx.addIssue({
            code: 'custom',
            message: `entry ${i + 1} (${name}): empty or over-long source in the source list`,
          });
        }
      }
      entries.push({ name, key, roles: list as Role[], ...(sources ? { sources } : {}) });
    });
    const names = entries.map((e) => e.name);
    const dup = names.find((n, i) => names.indexOf(n) !== i);
    if (dup) ctx.addIssue({ code: 'custom', message: `key name ${dup} is used twice` });
    return entries;
  });

/** Looks a presented bearer key up in constant time per entry. */
export class ApiKeyRegistry {
  private readonly entries: readonly ApiKeyEntry[];

  constructor(keys: readonly ApiKeyConfig[]) {
    this.entries = keys.map((k) => ({
      name: k.name,
      roles: k.roles,
      ...(k.sources ? { sources: k.sources } : {}),
      digest: sha256(k.key),
    }));
  }

  authenticate(presented: string): Principal | undefined {
    const digest = sha256(presented);
    let found: ApiKeyEntry | undefined;
    for (const e of this.entries) if (timingSafeEqual(e.digest, digest)) found = e;
    return found
      ? {
          kind: 'api-key',
          name: found.name,
          roles: found.roles,
          ...(found.sources ? { sources: found.sources } : {}),
        }
      : undefined;
  }
}
