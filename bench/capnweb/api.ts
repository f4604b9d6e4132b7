/**
 * The API capnweb serves in the benchmark: an RpcTarget with the same methods as the other
 * contenders. Bytes travel as capnweb's own Uint8Array type (base64 inside its JSON).
 */
import { RpcTarget } from "capnweb";

const counts = new Map<string, number>();

export class BenchApi extends RpcTarget {
  add(a: number, b: number): number {
    return a + b;
  }
  echo(bytes: Uint8Array): Uint8Array {
    return bytes;
  }
  get(key: string): number {
    return counts.get(key) ?? 0;
  }
  inc(key: string): void {
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
}
