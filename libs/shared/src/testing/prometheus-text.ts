/**
 * Reads one sample from Prometheus exposition text, for tests: the value of series `name` whose
 * labels include `labels` (label order in the text does not matter; other labels are ignored
 * unless `exact`). Undefined when no such series is exposed.
 */
export function sampleValue(
  text: string,
  name: string,
  labels: Readonly<Record<string, string>> = {},
  exact = false,
): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const found = new Map<string, string>();
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      found.set(l[1] ?? '', l[2] ?? '');
    }
    const wanted = Object.entries(labels);
    if (wanted.some(([k, v]) => found.get(k) !== v)) continue;
    if (exact && found.size !== wanted.length) continue;
    return Number(m[3]);
  }
  return undefined;
}
