import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Logger } from 'pino';
import { generateEd25519 } from '@lethe/audit';

/**
 * Outside production, with no key ring configured (LETHE_AUDIT_KEYRING / _FILE unset; the
 * configuration refuses that in production): a development key ring in
 * `<cwd>/.data/audit-keyring.json`, created once (mode 0600) and reused on later boots, so the
 * worker on the same machine signs with the key the governance service verifies with: start it
 * with `LETHE_AUDIT_KEYRING_FILE=.data/audit-keyring.json`. Returns the file's path.
 */
export function ensureDevKeyRing(logger: Logger, dataDir = path.resolve('.data')): string {
  const file = path.join(dataDir, 'audit-keyring.json');
  if (existsSync(file)) {
    logger.warn({ file }, 'development audit key ring (not for production)');
    return file;
  }
  mkdirSync(dataDir, { recursive: true });
  const { privateKey } = generateEd25519();
  const now = new Date();
  const ring = {
    keys: [
      {
        kid: `dev-${now.toISOString().slice(0, 19).replace(/[-:]/g, '')}`,
        // A little in the past: a certificate issued right after boot falls inside the window.
        notBefore: new Date(now.getTime() - 60_000).toISOString(),
        privateKey: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
      },
    ],
  };
  try {
    writeFileSync(file, `${JSON.stringify(ring, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  } catch (e) {
    // Another process on this machine made it first: use theirs.
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return file;
    throw e;
  }
  logger.warn({ file }, 'created a development audit key ring (not for production)');
  return file;
}
