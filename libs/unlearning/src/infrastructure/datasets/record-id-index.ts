/**
 * A set of 64-bit fingerprints of record ids (two 32-bit hashes of the UTF-16 code units), in an
 * open-addressing table kept 1/4 to 1/2 full: 16–32 bytes per id whatever the ids' length. `add`
 * answers `false` when the fingerprint is already present: the id is then PROBABLY a duplicate,
 * and the caller confirms it exactly (by re-reading the file), so a fingerprint collision never
 * becomes a false error.
 */
export class RecordIdIndex {
  private hi: Uint32Array;
  private lo: Uint32Array;
  private mask: number;
  private count = 0;

  constructor(
    initialCapacity = 1024,
    private readonly hash: (id: string) => [number, number] = fingerprint,
  ) {
    let cap = 16;
    while (cap < initialCapacity * 2) cap *= 2;
    this.hi = new Uint32Array(cap);
    this.lo = new Uint32Array(cap);
    this.mask = cap - 1;
  }

  get size(): number {
    return this.count;
  }

  /** Adds the id's fingerprint; false if it was already there (a probable duplicate). */
  add(id: string): boolean {
    const [hRaw, lRaw] = this.hash(id);
    const h = hRaw >>> 0;
    const l = (lRaw | 1) >>> 0;
    if (this.find(h, l) >= 0) return false;
    if ((this.count + 1) * 2 > this.hi.length) this.grow();
    this.insert(h, l);
    this.count++;
    return true;
  }

  private find(h: number, l: number): number {
    for (let i = l & this.mask; ; i = (i + 1) & this.mask) {
      const sh = this.hi[i] as number;
      const sl = this.lo[i] as number;
      if (sh === 0 && sl === 0) return -1;
      if (sh === h && sl === l) return i;
    }
  }

  private insert(h: number, l: number): void {
    let i = l & this.mask;
    while ((this.hi[i] as number) !== 0 || (this.lo[i] as number) !== 0) i = (i + 1) & this.mask;
    this.hi[i] = h;
    this.lo[i] = l;
  }

  private grow(): void {
    const oldHi = this.hi;
    const oldLo = this.lo;
    this.hi = new Uint32Array(oldHi.length * 2);
    this.lo = new Uint32Array(oldLo.length * 2);
    this.mask = this.hi.length - 1;
    for (let i = 0; i < oldHi.length; i++) {
      const h = oldHi[i] as number;
      const l = oldLo[i] as number;
      if (h !== 0 || l !== 0) this.insert(h, l);
    }
  }
}

/** FNV-1a and a murmur3-finalised multiplicative hash; `lo` is forced odd so (0, 0) means empty. */
export const fingerprint = (s: string): [number, number] => {
  let a = 0x811c9dc5;
  let b = 0x9747b28c ^ s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  b ^= b >>> 16;
  b = Math.imul(b, 0x85ebca6b);
  b ^= b >>> 13;
  b = Math.imul(b, 0xc2b2ae35);
  b ^= b >>> 16;
  return [a >>> 0, (b | 1) >>> 0];
};
