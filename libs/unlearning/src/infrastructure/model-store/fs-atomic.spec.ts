import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createEmptyExclusive, placeReplacingCache } from './fs-atomic';

describe('fs-atomic: the cheaper writes (docs/benchmarks.md (g), "Fifth wave")', () => {
  let root: string;
  let tmp: string;
  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), 'lethe-fs-atomic-'));
    tmp = path.join(root, 'tmp');
    mkdirSync(tmp);
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('createEmptyExclusive makes an empty file once (in a new directory), then answers false', async () => {
    const target = path.join(root, 'a', 'b', 'cert-1');
    expect(await createEmptyExclusive(target, 0o644)).toBe(true);
    expect(statSync(target).size).toBe(0);
    expect(statSync(target).mode & 0o777).toBe(0o644);
    expect(await createEmptyExclusive(target, 0o644)).toBe(false);
    expect(readdirSync(path.dirname(target))).toEqual(['cert-1']);
  });

  it('createEmptyExclusive leaves a file that already exists as it is', async () => {
    const target = path.join(root, 'cert-2');
    writeFileSync(target, 'kept');
    expect(await createEmptyExclusive(target, 0o644)).toBe(false);
    expect(readFileSync(target, 'utf8')).toBe('kept');
  });

  it('placeReplacingCache replaces the target whole and leaves no temp file', async () => {
    const target = path.join(root, 'chains', 'm', '2.factor');
    await placeReplacingCache(tmp, target, Buffer.from('first'), 0o600);
    expect(readFileSync(target, 'utf8')).toBe('first');
    await placeReplacingCache(tmp, target, Buffer.from('second, longer'), 0o600);
    expect(readFileSync(target, 'utf8')).toBe('second, longer');
    expect(statSync(target).mode & 0o777).toBe(0o600);
    expect(readdirSync(tmp)).toEqual([]);
  });

  it('placeReplacingCache that cannot rename leaves no temp file and rejects', async () => {
    const target = path.join(root, 'dir-in-the-way');
    mkdirSync(path.join(target, 'x'), { recursive: true });
    await expect(placeReplacingCache(tmp, target, Buffer.from('x'), 0o600)).rejects.toThrow();
    expect(readdirSync(tmp)).toEqual([]);
  });
});
