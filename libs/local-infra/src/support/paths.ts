import { existsSync, mkdirSync } from 'node:fs';
import * as path from 'node:path';

/** The repository root: the nearest folder above this file that holds package.json and libs/. */
export function repoRoot(): string {
  let dir = __dirname;
  for (;;) {
    if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'libs'))) {
      return dir;
    }
    const parent = path.dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
}

/** Git-ignored folder for data directories and logs (`LETHE_DATA_DIR` overrides `.data/`). */
export function dataDir(...parts: string[]): string {
  const base = process.env.LETHE_DATA_DIR ?? path.join(repoRoot(), '.data');
  mkdirSync(base, { recursive: true });
  return path.join(base, ...parts);
}

/** Git-ignored download cache (`LETHE_CACHE_DIR` overrides `.cache/`). */
export function cacheDir(...parts: string[]): string {
  const base = process.env.LETHE_CACHE_DIR ?? path.join(repoRoot(), '.cache');
  return path.join(base, ...parts);
}
