/**
 * Garbage collection on demand, for tests that prove something is freed: V8's gc() is
 * enabled at run time, so no test needs its own node flags.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

/** Watches objects and tells when the collector has freed them. */
export class Collected {
  private readonly freed = new Set<string>();
  private readonly registry = new FinalizationRegistry<string>((name) => this.freed.add(name));

  watch(name: string, value: object): void {
    this.registry.register(value, name);
  }

  has(name: string): boolean {
    return this.freed.has(name);
  }

  /**
   * Collects until `name` was freed, for at most `ms`; false if it never was. Finalizers
   * run after a collection, in a later turn, so each round yields before checking.
   */
  async waitFor(name: string, ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (!this.freed.has(name) && Date.now() < deadline) {
      gc();
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return this.freed.has(name);
  }
}

/** Runs a full collection, then lets finalizers run. */
export async function collectGarbage(rounds = 3): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
