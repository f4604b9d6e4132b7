/**
 * The objects a manager server holds for its clients (Python's `id_to_obj` and
 * `id_to_refcount`): each referent has a fresh ident, a reference count driven by
 * `create`/`incref`/`decref`, and is freed at zero, and only then. As in Python, no
 * reference belongs to a connection: a proxy passes from a parent process to a child (which
 * increfs it, uses it on its own streams, decrefs it and exits) and stays the parent's; a
 * killed client leaks the references it held, bounded by maxReferents.
 *
 * A referent stored as a proxy inside another value (`a.append(b)`) outlives its last client
 * reference, as in Python's server (`id_to_local_proxy_obj`): when its count falls to zero it
 * leaves the table but stays findable by ident for as long as any stored proxy of it is
 * reachable, and a client reading that proxy back increfs it into the table again. Python's
 * server keeps such a referent until it stops; here it is released once no value the server
 * holds contains a proxy of it (and no client holds a reference), when the garbage collector
 * reclaims the stored proxy. Both kinds count against maxReferents.
 */
import type { Dispatcher } from "../core/dispatcher.js";
import type { PyFace } from "./face.js";
import { RpcError } from "../core/errors.js";

/** What a referent is, which decides how its methods run. */
export interface Referent {
  readonly ident: string;
  /** The value itself: a plain value, a class instance, or an exposed namespace object. */
  readonly value: unknown;
  /** Method table of an object referent (method names relative to `prefix`); absent for plain values. */
  readonly methods: Dispatcher | undefined;
  /** Prefix of the method paths in `methods` ("kv." for the exposed namespace kv). */
  readonly prefix: string;
  /** The Python face of a shared object (a queue, a dict...), which answers its calls. */
  readonly face: PyFace<object> | undefined;
  /** Names the client's proxy offers. */
  readonly exposed: readonly string[];
  refcount: number;
  /** A proxy of it was stored inside a value: at refcount 0 it is kept while that proxy lives. */
  stored?: boolean;
}

/** Bounds of a {@link ReferentTable}. */
export interface ReferentLimits {
  /** Most referents held at once, across all clients. @default 100000 */
  maxReferents: number;
}

export const REFERENT_DEFAULTS: Readonly<ReferentLimits> = Object.freeze({ maxReferents: 100_000 });

export class ReferentTable {
  private readonly byIdent = new Map<string, Referent>();
  /** Referents at refcount 0 that only stored proxies hold, by ident. */
  private readonly kept = new Map<string, WeakRef<Referent>>();
  private readonly forget = new FinalizationRegistry<string>((ident) => {
    if (this.kept.get(ident)?.deref() === undefined) this.kept.delete(ident);
  });
  private nextIdent = 1;

  constructor(private readonly limits: ReferentLimits = REFERENT_DEFAULTS) {}

  /** Referents clients hold references to. */
  get size(): number {
    return this.byIdent.size;
  }

  /** Referents only stored proxies still hold (released by the garbage collector). */
  get keptSize(): number {
    return this.kept.size;
  }

  /** Holds a new referent with a reference count of 1 and returns it. */
  add(value: unknown, methods: Dispatcher | undefined, prefix: string, exposed: readonly string[], face?: PyFace<object>): Referent {
    const held = this.byIdent.size + this.kept.size;
    if (held >= this.limits.maxReferents) {
      throw new RpcError("RESOURCE_EXHAUSTED", `the server holds ${held} objects, maxReferents ${this.limits.maxReferents}`);
    }
    // Fresh hex idents, never "0" (Python reserves it) and never reused while the server runs.
    const ident = (this.nextIdent++).toString(16).padStart(8, "0");
    const referent: Referent = { ident, value, methods, face, prefix, exposed, refcount: 1 };
    this.byIdent.set(ident, referent);
    return referent;
  }

  /** The referent `ident` names, or undefined. */
  find(ident: unknown): Referent | undefined {
    if (typeof ident !== "string") return undefined;
    return this.byIdent.get(ident) ?? (this.kept.size === 0 ? undefined : this.kept.get(ident)?.deref());
  }

  /** The referent `ident` names; throws KeyError with the ident's repr, as Python's server does, for an unknown one. */
  get(ident: unknown): Referent {
    const referent = this.find(ident);
    if (referent === undefined) throw new RpcError("KeyError", typeof ident === "string" ? `'${ident}'` : String(ident));
    return referent;
  }

  incref(ident: unknown): void {
    const referent = this.get(ident);
    if (referent.refcount++ === 0) {
      // A client read a stored proxy back: tracked again, as Python's server re-enables it.
      this.kept.delete(referent.ident);
      this.byIdent.set(referent.ident, referent);
    }
  }

  decref(ident: unknown): void {
    const referent = this.get(ident);
    // Python's server skips a decref of an object only a stored proxy holds.
    if (referent.refcount === 0) return;
    if (--referent.refcount <= 0) this.free(referent);
  }

  /** One line per referent, for `debug_info`. */
  describe(): string {
    const lines: string[] = [];
    for (const r of this.byIdent.values()) lines.push(`  ${r.ident}:       refcount=${r.refcount}\n    ${r.exposed.length} methods`);
    return lines.join("\n");
  }

  private free(referent: Referent): void {
    this.byIdent.delete(referent.ident);
    if (referent.stored !== true) return;
    this.kept.set(referent.ident, new WeakRef(referent));
    this.forget.register(referent, referent.ident);
  }
}
