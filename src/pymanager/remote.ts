/**
 * A Remote over Python's manager protocol: `remote.get("a")` calls the registered typeid
 * `get` and answers its value; `remote.kv.get("a")` calls method `get` of a shared object
 * created once from typeid `kv` and held until the remote is closed. Named arguments are not
 * expressible through a Remote; positional ones are passed as they are.
 */
import { RpcError } from "../core/errors.js";
import { LIST_METHODS } from "../core/messages.js";
import type { Caller, CallOptions } from "../core/remote.js";
import type { StreamAddress } from "../net/address.js";
import type { PyManagerClient, PyManagerObject } from "./client.js";

/** The scheme of manager URLs: `pymanager://host:port`. */
export const PYMANAGER_SCHEME = "pymanager:";

/** True for `pymanager://` URLs. */
export function isPyManagerUrl(url: string): boolean {
  return url.toLowerCase().startsWith(PYMANAGER_SCHEME);
}

/** The tcp address behind a `pymanager://host:port` URL. */
export function parsePyManagerUrl(url: string): StreamAddress {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new TypeError(`invalid address ${JSON.stringify(url)}: expected pymanager://host:port`);
  }
  const host = u.hostname.startsWith("[") ? u.hostname.slice(1, -1) : u.hostname;
  const port = Number(u.port);
  if (u.protocol !== PYMANAGER_SCHEME || !host || u.port === "" || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new TypeError(`invalid address ${JSON.stringify(url)}: expected pymanager://host:port`);
  }
  return { scheme: "tcp", host, port };
}

/** A Remote's caller over one manager client. */
export class PyManagerCaller implements Caller {
  private readonly objects = new Map<string, Promise<PyManagerObject>>();
  private closed = false;

  constructor(private readonly client: PyManagerClient) {}

  call(target: string, args: unknown[], options: CallOptions): Promise<unknown> {
    const { timeout, signal } = options;
    if (signal?.aborted) return Promise.reject(new RpcError("CANCELLED", `${target}: the call was aborted before it was sent`));
    const running = this.send(target, args);
    if (!(timeout !== undefined && timeout > 0) && !signal) return running;
    return bounded(running, target, timeout, signal);
  }

  private async send(target: string, args: unknown[]): Promise<unknown> {
    if (this.closed) throw new RpcError("UNAVAILABLE", `${target}: the client is closed`);
    if (target === LIST_METHODS) return this.listMethods();
    const dot = target.lastIndexOf(".");
    if (dot < 0) return this.client.call(target, args);
    const typeid = target.slice(0, dot);
    let object = this.objects.get(typeid);
    if (!object) {
      object = this.client.object(typeid);
      this.objects.set(typeid, object);
      // A failed creation is not cached: the next call tries again.
      object.catch(() => this.objects.delete(typeid));
    }
    return (await object).call(target.slice(dot + 1), args);
  }

  /**
   * farcall's own manager listener answers the typeid `$methods` with its method list.
   * Python's server has no such question: its typeids are known only to the program that
   * registered them (get_methods needs a Token, that is an object already created).
   */
  private async listMethods(): Promise<unknown> {
    try {
      return await this.client.call(LIST_METHODS, []);
    } catch (err) {
      if (!RpcError.is(err) || err.code !== "METHOD_NOT_FOUND") throw err;
      throw new RpcError("METHOD_NOT_FOUND", "this manager server cannot list what it serves: Python's manager protocol has no way to ask for the registered typeids (only farcall's pymanager:// listener answers); call a typeid you know instead, e.g. farcall call pymanager://HOST:PORT get_queue", err.data, { cause: err });
    }
  }

  notify(target: string, args: unknown[], options: CallOptions, done?: (error?: RpcError) => void): void {
    // The manager protocol answers every request; a notification is a call whose answer is dropped.
    this.call(target, args, options).then(
      () => done?.(),
      (err: unknown) => done?.(RpcError.from(err)),
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const held = [...this.objects.values()];
    this.objects.clear();
    await Promise.allSettled(held.map(async (o) => (await o).release()));
    this.client.close();
  }
}

/**
 * `running`, or DEADLINE_EXCEEDED / CANCELLED when the caller stops waiting first. The
 * manager protocol has no way to tell the server: its handler runs on, and the connection
 * stays busy until the late answer arrives (then it is reused), so the wait is the caller's
 * alone.
 */
function bounded(running: Promise<unknown>, target: string, timeout: number | undefined, signal: AbortSignal | undefined): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const onAbort = (): void => {
      done();
      const reason: unknown = signal?.reason;
      reject(new RpcError("CANCELLED", `${target}: ${reason instanceof Error ? reason.message : "the call was aborted by its caller"}`));
    };
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    };
    if (timeout !== undefined && timeout > 0) {
      timer = setTimeout(() => {
        done();
        reject(new RpcError("DEADLINE_EXCEEDED", `${target}: no answer within ${timeout} ms`));
      }, timeout);
    }
    signal?.addEventListener("abort", onAbort, { once: true });
    running.then(
      (value) => {
        done();
        resolve(value);
      },
      (error: unknown) => {
        done();
        reject(error);
      },
    );
  });
}
