const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Little-endian bytes of a typed array (a view when the platform is little-endian). */
export const leBytes = (a: Float32Array | Int32Array): Uint8Array => {
  if (littleEndian) return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const out = new Uint8Array(a.byteLength);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < a.length; i++) {
    if (a instanceof Float32Array) dv.setFloat32(4 * i, a[i] as number, true);
    else dv.setInt32(4 * i, a[i] as number, true);
  }
  return out;
};
