/**
 * The demo's keys and counters in a NATS JetStream key-value bucket, shared by every
 * instance of the service (`farcall serve --store nats://host:4222/bucket`); its queue is in
 * a work-queue stream beside it (queue-nats.ts).
 *
 * Counters stay exact however many instances write at once: an add reads the counter's
 * entry, then writes the new value on condition that the entry's revision is still the one
 * read (JetStream's compare-and-set); a writer that lost the race reads again and retries.
 * A key or counter name is stored base64url-encoded (JetStream keys allow only
 * `[-/_=.A-Za-z0-9]`), under `k.` for the key-value store and `c.` for counters.
 */
import type { KV } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { nextCount } from "./kv-store.js";
import { casBucket, compareAndSet, live, storeError, type CasBucket } from "./kv-cas.js";
import { RpcError } from "../core/errors.js";
import { parseNatsUrl, formatNatsUrl } from "../nats/address.js";
import { openNats } from "../nats/connection.js";
import { loadNatsJetStream, loadNatsKv } from "../nats/loader.js";
import type { NatsOptions } from "../nats/options.js";
import { MAX_ENTRIES } from "./limits.js";
import { openNatsQueue, type NatsQueue, type NatsQueueOptions } from "./queue-nats.js";
import { decodeStored, encodeStored } from "./stored-value.js";
import type { CountersBackend, DemoState, KeyValueBackend } from "./store-backend.js";

/** The bucket used when the store URL names none. */
export const DEFAULT_BUCKET = "farcall";

/** Limits of the bucket this store creates (an existing bucket keeps its own). */
export const NATS_STORE_LIMITS = Object.freeze({
  /** The whole bucket: writes past it fail RESOURCE_EXHAUSTED. */
  maxBytes: 256 * 1024 * 1024,
  /** One value. */
  maxValueSize: 1024 * 1024,
});

const encoder = new TextEncoder();

function keyOf(prefix: string, name: string): string {
  return prefix + Buffer.from(name, "utf8").toString("base64url");
}

function nameOf(key: string): string {
  return Buffer.from(key.slice(2), "base64url").toString("utf8");
}

class NatsKeyValueStore implements KeyValueBackend {
  private readonly kv: KV;
  constructor(private readonly bucket: CasBucket) {
    this.kv = bucket.kv;
  }

  async get(key: string): Promise<unknown> {
    try {
      const entry = await this.kv.get(keyOf("k.", key));
      return live(entry) ? decodeStored(entry.value) : undefined;
    } catch (err) {
      throw storeError(err, `get(${JSON.stringify(key)})`);
    }
  }

  async put(key: string, value: unknown): Promise<void> {
    const bytes = encodeStored(value);
    if (bytes.length > NATS_STORE_LIMITS.maxValueSize) throw new RpcError("RESOURCE_EXHAUSTED", `a value of ${bytes.length} B exceeds the store's ${NATS_STORE_LIMITS.maxValueSize} B`);
    try {
      await this.kv.put(keyOf("k.", key), bytes);
    } catch (err) {
      throw storeError(err, `put(${JSON.stringify(key)})`);
    }
  }

  increment(key: string): Promise<number> {
    return compareAndSet(this.bucket, keyOf("k.", key), `inc(${JSON.stringify(key)})`, (entry) => {
      const next = nextCount(key, live(entry) ? decodeStored(entry.value) : undefined);
      return [next, encodeStored(next)];
    });
  }

  async delete(key: string): Promise<boolean> {
    const k = keyOf("k.", key);
    try {
      if (!live(await this.kv.get(k))) return false;
      await this.kv.delete(k);
      return true;
    } catch (err) {
      throw storeError(err, `delete(${JSON.stringify(key)})`);
    }
  }

  async keys(): Promise<string[]> {
    const out: string[] = [];
    try {
      for await (const key of await this.kv.keys("k.>")) {
        if (out.length >= MAX_ENTRIES) break;
        out.push(nameOf(key));
      }
    } catch (err) {
      throw storeError(err, "keys()");
    }
    return out.sort();
  }
}

class NatsCounters implements CountersBackend {
  private readonly kv: KV;
  constructor(private readonly bucket: CasBucket) {
    this.kv = bucket.kv;
  }

  async get(name: string): Promise<number> {
    try {
      const entry = await this.kv.get(keyOf("c.", name));
      return live(entry) ? Number(entry.string()) : 0;
    } catch (err) {
      throw storeError(err, `counter.get(${JSON.stringify(name)})`);
    }
  }

  async add(name: string, n: number): Promise<number> {
    return compareAndSet(this.bucket, keyOf("c.", name), `counter.add(${JSON.stringify(name)})`, (entry) => {
      const current = live(entry) ? Number(entry.string()) : 0;
      const next = current + n;
      if (!Number.isSafeInteger(next)) {
        throw new RpcError("INVALID_PARAMS", `counter ${JSON.stringify(name)} would reach ${next}, past the safe-integer range`, { value: current });
      }
      return [next, encoder.encode(String(next))];
    });
  }
}

/**
 * Opens (creating if needed) the bucket named by `url` (`nats://host:4222/bucket`, default
 * bucket "farcall") and its queue's stream as the demo's state; `queue` gives the queue's maxsize.
 * @throws RpcError UNAVAILABLE when NATS cannot be reached, JetStream is not enabled or the
 *   optional packages are missing; UNAUTHENTICATED when NATS refuses the credentials.
 */
export async function openNatsState(url: string, options: NatsOptions = {}, timeoutMs = 10_000, queue: NatsQueueOptions = {}): Promise<DemoState> {
  const address = parseNatsUrl(url);
  const bucket = address.name === "" ? DEFAULT_BUCKET : address.name.replaceAll(".", "_");
  const [{ Kvm }, { jetstream }] = await Promise.all([loadNatsKv(), loadNatsJetStream()]);
  const nc: NatsConnection = await openNats(address, options, { name: `farcall store ${bucket}`, timeoutMs, reconnect: true });
  let kv: KV;
  try {
    kv = await new Kvm(nc).create(bucket, { history: 1, max_bytes: NATS_STORE_LIMITS.maxBytes, maxValueSize: NATS_STORE_LIMITS.maxValueSize });
  } catch (err) {
    await nc.close();
    throw new RpcError("UNAVAILABLE", `cannot open the JetStream bucket ${JSON.stringify(bucket)} at ${formatNatsUrl(address)} (is JetStream enabled, nats-server -js?): ${(err as Error).message}`, undefined, { cause: err });
  }
  const cas = casBucket(kv, jetstream(nc), bucket);
  let shared: NatsQueue;
  try {
    shared = await openNatsQueue(nc, cas, bucket, queue);
  } catch (err) {
    await nc.close();
    throw err;
  }
  return {
    store: new NatsKeyValueStore(cas),
    counters: new NatsCounters(cas),
    queue: shared,
    close: () => nc.drain(),
  };
}
