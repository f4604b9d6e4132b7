/**
 * The short ASCII strings a decoder read lately, by a hash of their bytes. Method names,
 * object ids and keys come again and again: a string seen before costs a comparison instead
 * of a new string, and a method table finds its hash already computed.
 */
export class RecentStrings {
  private readonly slots: string[] = new Array<string>(256).fill("");

  /** Bytes `first` to `stop` of `bytes` as a string, or undefined when one is not ASCII. */
  read(bytes: Uint8Array, first: number, stop: number): string | undefined {
    const n = stop - first;
    let hash = n;
    for (let i = first; i < stop; i++) {
      const c = bytes[i]!;
      if (c >= 0x80) return undefined;
      hash = (hash * 31 + c) | 0;
    }
    const slot = (hash ^ (hash >>> 8)) & 0xff;
    const known = this.slots[slot]!;
    if (known.length === n && sameBytes(known, bytes, first)) return known;
    let s = "";
    for (let i = first; i < stop; i++) s += String.fromCharCode(bytes[i]!);
    this.slots[slot] = s;
    return s;
  }
}

function sameBytes(s: string, bytes: Uint8Array, first: number): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) !== bytes[first + i]) return false;
  return true;
}
