/**
 * The calls of a session in flight, by id (an unsigned 32-bit integer each carries). Ids are
 * mostly handed out in sequence, so the ones in flight fall into distinct slots of a ring
 * indexed by their low bits: adding and removing costs no hashing and allocates nothing,
 * where a Map churned a fresh table every hundred calls or so (garbage that lived long enough
 * to be promoted, then cost full collections). A call whose slot is taken (one outliving 255
 * later ones, or ids a peer chose to collide) waits in an ordinary Map beside the ring, so no
 * choice of ids makes a lookup slower than a Map's.
 */
export class IdMap<T extends { readonly id: number }> {
  /** The ring: 256 slots, filled as ids arrive (an array's holes read as undefined). */
  private ring: (T | undefined)[] = [];
  private readonly spill = new Map<number, T>();
  /** Calls held. */
  size = 0;

  get(id: number): T | undefined {
    const value = this.ring[id & 255];
    // Asked for every new id (is it free?); the spill is nearly always empty.
    return value?.id === id ? value : this.spill.size === 0 ? undefined : this.spill.get(id);
  }

  /** Adds `value` under its id, which must not be in the map. */
  add(value: T): void {
    if (this.ring[value.id & 255]) this.spill.set(value.id, value);
    else this.ring[value.id & 255] = value;
    this.size++;
  }

  /** Removes the call with `id`; returns it. */
  take(id: number): T | undefined {
    const value = this.get(id);
    if (value) {
      if (this.ring[id & 255] === value) this.ring[id & 255] = undefined;
      else this.spill.delete(id);
      this.size--;
    }
    return value;
  }

  /** Removes every call; returns them, in no particular order. */
  drain(): T[] {
    const all = [...this.ring.filter(Boolean), ...this.spill.values()] as T[];
    this.ring = [];
    this.spill.clear();
    this.size = 0;
    return all;
  }
}
