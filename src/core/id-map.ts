/**
 * A map from message ids (unsigned 32-bit integers) to what waits on them, for the per-call
 * tables of a session. Ids are mostly handed out in sequence, so the ones in flight fall into
 * distinct slots of a small ring indexed by their low bits: adding and removing costs no
 * hashing and allocates nothing, where a Map churned a fresh table every hundred calls or so
 * (garbage that lived long enough to be promoted, then cost full collections). An id whose
 * slot is taken (a call outliving a thousand later ones, or ids a peer chose to collide)
 * waits in an ordinary Map beside the ring, so no choice of ids makes a lookup slow.
 */

/** Slots of a new ring; it doubles up to {@link MAX_SLOTS} while many ids are in flight. */
const FIRST_SLOTS = 16;
const MAX_SLOTS = 1024;

export class IdMap<T> {
  private ids = new Uint32Array(FIRST_SLOTS);
  private values_: (T | undefined)[] = new Array<T | undefined>(FIRST_SLOTS).fill(undefined);
  private mask = FIRST_SLOTS - 1;
  private readonly beside = new Map<number, T>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  get(id: number): T | undefined {
    const slot = id & this.mask;
    const value = this.values_[slot];
    if (value !== undefined && this.ids[slot] === id) return value;
    return this.beside.size === 0 ? undefined : this.beside.get(id);
  }

  has(id: number): boolean {
    return this.get(id) !== undefined;
  }

  /** Adds `value` under `id`, which must not be in the map. */
  set(id: number, value: T): void {
    let slot = id & this.mask;
    if (this.values_[slot] !== undefined && this.mask + 1 < MAX_SLOTS && this.count * 2 >= this.mask + 1) {
      this.grow();
      slot = id & this.mask;
    }
    if (this.values_[slot] === undefined) {
      this.ids[slot] = id;
      this.values_[slot] = value;
    } else {
      this.beside.set(id, value);
    }
    this.count++;
  }

  /** Removes `id`; returns what it held. */
  take(id: number): T | undefined {
    const slot = id & this.mask;
    const value = this.values_[slot];
    if (value !== undefined && this.ids[slot] === id) {
      this.values_[slot] = undefined;
      this.count--;
      return value;
    }
    if (this.beside.size === 0) return undefined;
    const other = this.beside.get(id);
    if (other === undefined) return undefined;
    this.beside.delete(id);
    this.count--;
    return other;
  }

  /** Every value, in no particular order. */
  values(): T[] {
    const out: T[] = [];
    for (const value of this.values_) if (value !== undefined) out.push(value);
    for (const value of this.beside.values()) out.push(value);
    return out;
  }

  clear(): void {
    this.values_.fill(undefined);
    this.beside.clear();
    this.count = 0;
  }

  /** Doubles the ring and puts every value, those beside it too, in its slot there. */
  private grow(): void {
    const entries: [number, T][] = [];
    for (let slot = 0; slot <= this.mask; slot++) if (this.values_[slot] !== undefined) entries.push([this.ids[slot]!, this.values_[slot]!]);
    for (const entry of this.beside) entries.push(entry);
    const slots = (this.mask + 1) * 2;
    this.ids = new Uint32Array(slots);
    this.values_ = new Array<T | undefined>(slots).fill(undefined);
    this.mask = slots - 1;
    this.beside.clear();
    this.count = 0;
    for (const [id, value] of entries) this.set(id, value);
  }
}
