import { createHash, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { ROLES, type Role } from './roles';

export interface ApiKeyPrincipal {
  readonly name: string;
  readonly roles: readonly Role[];
}

export interface ApiKeyConfig extends ApiKeyPrincipal {
  readonly key: string;
}

interface ApiKeyEntry extends ApiKeyPrincipal {
  readonly digest: Buffer;
}

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/**
 * Zod schema for `LETHE_API_KEYS`: comma-separated `name:key:role+role` entries, e.g.
 * `crm:s3cret-key-1234:publisher,dpo:other-key-5678:compliance+auditor`. Keys must be ≥ 16 chars.
 */
export const apiKeysSchema = z
  .string({ required_error: 'required (name:key:role+role,...)' })
  .min(1)
  .transform((raw, ctx) => {
    const entries: ApiKeyConfig[] = [];
    raw.split(',').forEach((part, i) => {
      const [name, key, roles, ...rest] = part.trim().split(':');
      if (!name || !key || !roles || rest.length > 0) {
        ctx.addIssue({ code: 'custom', message: `entry ${i + 1}: expected name:key:role+role` });
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
      entries.push({ name, key, roles: list as Role[] });
    });
    return entries;
  });

/** Looks a presented bearer key up in constant time per entry. */
export class ApiKeyRegistry {
  private readonly entries: readonly ApiKeyEntry[];

  constructor(keys: readonly ApiKeyConfig[]) {
    this.entries = keys.map((k) => ({ name: k.name, roles: k.roles, digest: sha256(k.key) }));
  }

  authenticate(presented: string): ApiKeyPrincipal | undefined {
    const digest = sha256(presented);
    let found: ApiKeyEntry | undefined;
    for (const e of this.entries) if (timingSafeEqual(e.digest, digest)) found = e;
    return found ? { name: found.name, roles: found.roles } : undefined;
  }
}
