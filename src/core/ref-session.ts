/**
 * The references of one session: what this side exported (functions, objects marked with
 * ref(), streams) and what it imported from the other side.
 *
 * Exports are counted per receipt: every time an id is sent its count grows, and the
 * importer's RELEASE gives back how many receipts it drops, so a release crossing a new send
 * of the same id never frees what is still held. Imports are held weakly: when the
 * application lets go of a proxy, a FinalizationRegistry sends the RELEASE. Everything is
 * dropped when the session ends.
 */
import { Dispatcher, type MethodEntry } from "./dispatcher.js";
import { RpcError, type ErrorPayload } from "./errors.js";
import { makeRemote, remoteRefOf, type CallOptions } from "./remote.js";
import { isMarkedRef } from "./ref.js";
import { collected, ImportedRef, StreamCanceller } from "./ref-import.js";
import { REF_FUNCTION, REF_OBJECT, REF_STREAM, REF_YOURS, WireRef, type RefContext } from "./ref-wire.js";
import { ExportedStream, type StreamOutlet } from "./stream-export.js";
import { ImportedStream, type StreamChannel } from "./stream-import.js";

/** What the session needs from its peer. */
export interface RefLink {
  next(id: number, value: unknown): void;
  /** Undefined while the connection takes more; else settles once it drained. */
  room(): Promise<void> | undefined;
  end(id: number, error?: ErrorPayload): void;
  errorPayload(error: unknown): ErrorPayload;
  call(target: string, args: unknown[], options: CallOptions): Promise<unknown>;
  notify(target: string, args: unknown[], options: CallOptions, done?: (error?: RpcError) => void): void;
  credit(id: number, n: number): void;
  release(id: number, count: number): void;
  /** The last stream open in either direction ended: the session may be idle now. */
  streamsEnded(): void;
}

interface Exported {
  readonly id: number;
  readonly kind: number;
  readonly value: unknown;
  count: number;
  dispatcher?: Dispatcher;
  /** An object's method names, sent with each receipt: listed once, when first exported. */
  names?: string[];
  stream?: ExportedStream;
}

export class RefSession implements StreamChannel, StreamOutlet, RefContext {
  private readonly exports = new Map<number, Exported>();
  private readonly exportIds = new Map<unknown, number>();
  private readonly imports = new Map<number, WeakRef<object>>();
  private readonly importRecords = new Map<number, ImportedRef>();
  /** Imported streams whose consumer is waiting for an item: held strongly (see StreamChannel.hold). */
  private readonly awaited = new Set<ImportedStream>();
  /** Streams this side produces and has not finished. */
  private streamsOut = 0;
  /** Ids of imported streams not yet ended. */
  private readonly streamsIn = new Set<number>();
  private nextId = 1;
  private closed: RpcError | undefined;
  /** Exports made while encoding the current message, undone if it cannot be sent. */
  private journal: Exported[] | undefined;
  private journaling = false;
  /** What the message being decoded brought in: one entry per receipt. */
  private received: (ImportedRef | ImportedStream)[] | undefined;

  constructor(
    readonly link: RefLink,
    private readonly maxReferences: number,
  ) {}

  /** Why the session ended, once it has. */
  get endedWith(): RpcError | undefined {
    return this.closed;
  }

  /** Streams open in either direction: a draining session lets them finish. */
  get openStreams(): number {
    return this.streamsOut + this.streamsIn.size;
  }

  /** References and streams alive in either direction. */
  get size(): number {
    return this.exports.size + this.imports.size;
  }

  get exportCount(): number {
    return this.exports.size;
  }

  get importCount(): number {
    return this.imports.size;
  }

  // ---- encoding: what goes out --------------------------------------------------------

  /** Starts recording exports for one message. */
  beginEncode(): void {
    this.journaling = true;
    this.journal = undefined;
  }

  /** The message was sent (`sent`) or could not be: undo its exports then. */
  endEncode(sent: boolean): void {
    const journal = this.journal;
    this.journal = undefined;
    this.journaling = false;
    if (sent || !journal) return;
    for (const e of journal) this.unexport(e, 1);
  }

  /** The wire form of a function, a ref()-marked object or an async iterable. */
  exportValue(value: object): WireRef {
    if (this.closed) throw new RpcError("UNAVAILABLE", "the session has ended");
    if (typeof value === "function") {
      const home = remoteRefOf(value);
      if (home && home.belongsTo(this)) {
        if (home.released) throw new RpcError("RELEASED", `reference ${home.id} was released and cannot be sent back`);
        return new WireRef(REF_YOURS, home.id);
      }
      return this.exportShared(value, REF_FUNCTION);
    }
    if (isMarkedRef(value)) return this.exportShared(value, REF_OBJECT);
    const id = this.allocate();
    const entry: Exported = { id, kind: REF_STREAM, value, count: 1 };
    entry.stream = new ExportedStream(id, value as AsyncIterable<unknown>, this);
    this.exports.set(id, entry);
    this.streamsOut++;
    if (this.journaling) (this.journal ??= []).push(entry);
    return new WireRef(REF_STREAM, id);
  }

  private exportShared(value: object, kind: number): WireRef {
    let id = this.exportIds.get(value);
    let entry = id === undefined ? undefined : this.exports.get(id);
    if (!entry) {
      id = this.allocate();
      entry = { id: id!, kind, value, count: 0 };
      if (kind === REF_OBJECT) {
        entry.dispatcher = new Dispatcher(value);
        entry.names = entry.dispatcher.list().map((m) => m.name);
      }
      this.exports.set(id, entry);
      this.exportIds.set(value, id);
    }
    entry.count++;
    if (this.journaling) (this.journal ??= []).push(entry);
    return new WireRef(kind, id!, entry.names);
  }

  private allocate(): number {
    if (this.exports.size >= this.maxReferences) {
      throw new RpcError("RESOURCE_EXHAUSTED", `this session already exports ${this.exports.size} references and streams (maxReferences ${this.maxReferences})`);
    }
    let id = this.nextId;
    while (this.exports.has(id)) id = id >= 0x7fffffff ? 1 : id + 1;
    this.nextId = id >= 0x7fffffff ? 1 : id + 1;
    return id;
  }

  private unexport(entry: Exported, count: number): void {
    entry.count -= count;
    if (entry.count > 0 || !this.removeExport(entry)) return;
    if (this.exportIds.get(entry.value) === entry.id) this.exportIds.delete(entry.value);
    entry.stream?.cancel();
  }

  /** Drops `entry` from the table; false when it was gone already. */
  private removeExport(entry: Exported): boolean {
    if (this.exports.get(entry.id) !== entry) return false;
    this.exports.delete(entry.id);
    if (entry.kind === REF_STREAM && --this.streamsOut === 0 && this.streamsIn.size === 0) this.link.streamsEnded();
    return true;
  }

  // ---- decoding: what comes in ---------------------------------------------------------

  /** Starts collecting what one incoming message brings in. */
  beginDecode(): void {
    this.received = undefined;
  }

  /** The streams the last decoded message carried. */
  decodedStreams(): ImportedStream[] | undefined {
    const received = this.received;
    if (!received) return undefined;
    const streams = received.filter((r): r is ImportedStream => r instanceof ImportedStream);
    return streams.length > 0 ? streams : undefined;
  }

  /**
   * The last decoded message was refused (or could not be decoded to the end): its
   * references are given back at once and its streams stopped, rather than left to the
   * garbage collector while they count against maxReferences.
   */
  discardDecoded(): void {
    const received = this.received;
    this.received = undefined;
    if (!received) return;
    const giveBack = new Map<ImportedRef, number>();
    for (const r of received) {
      if (r instanceof ImportedStream) void r.return();
      else giveBack.set(r, (giveBack.get(r) ?? 0) + 1);
    }
    for (const [imported, count] of giveBack) {
      if (imported.released) continue;
      imported.count -= count;
      if (imported.count > 0) {
        if (!this.closed) this.link.release(imported.id, count);
      } else {
        imported.count = count;
        imported.release();
      }
    }
  }

  /** The local value of a reference the other side sent. */
  importValue(kind: unknown, id: unknown): unknown {
    if (typeof id !== "number" || !Number.isInteger(id) || id < 0 || id > 0xffffffff) {
      throw new RpcError("INVALID_REQUEST", "a reference id must be an unsigned 32-bit integer");
    }
    if (this.closed) throw new RpcError("UNAVAILABLE", "the session has ended");
    switch (kind) {
      case REF_YOURS: {
        const entry = this.exports.get(id);
        if (!entry || entry.kind === REF_STREAM) throw new RpcError("RELEASED", `reference ${id} was released on this side`);
        return entry.value;
      }
      case REF_FUNCTION:
      case REF_OBJECT:
        return this.importShared(id);
      case REF_STREAM: {
        if (this.imports.has(id)) throw new RpcError("INVALID_REQUEST", `stream ${id} was already sent`);
        this.checkImportRoom();
        const stream = new ImportedStream(id, this);
        const weak = new WeakRef<object>(stream);
        this.imports.set(id, weak);
        this.streamsIn.add(id);
        collected.register(stream, new StreamCanceller(id, weak, this));
        (this.received ??= []).push(stream);
        return stream;
      }
      default:
        // Never stringify what the peer sent: it may itself be a reference, whose toJSON would be a call.
        throw new RpcError("INVALID_REQUEST", `unknown reference kind (${typeof kind === "number" ? kind : typeof kind})`);
    }
  }

  private importShared(id: number): unknown {
    const known = this.importRecords.get(id);
    const proxy = known && !known.released ? this.imports.get(id)?.deref() : undefined;
    if (known && proxy) {
      known.count++;
      (this.received ??= []).push(known);
      return proxy;
    }
    this.checkImportRoom();
    const imported = new ImportedRef(id, this);
    const remote = makeRemote(imported, `$${id}`, {}, imported) as object;
    this.imports.set(id, new WeakRef(remote));
    this.importRecords.set(id, imported);
    collected.register(remote, imported, imported);
    (this.received ??= []).push(imported);
    return remote;
  }

  private checkImportRoom(): void {
    if (this.imports.size >= this.maxReferences) {
      throw new RpcError("RESOURCE_EXHAUSTED", `the peer sent more than ${this.maxReferences} live references and streams (maxReferences)`);
    }
  }

  /** An imported function or object was released or collected: give its receipts back. */
  dropImport(imported: ImportedRef): void {
    collected.unregister(imported);
    if (this.importRecords.get(imported.id) === imported) {
      this.importRecords.delete(imported.id);
      this.imports.delete(imported.id);
    }
    if (!this.closed) this.link.release(imported.id, imported.count);
  }

  // ---- messages about references -------------------------------------------------------

  /** RELEASE: the importer dropped `count` receipts of `id`. */
  onRelease(id: number, count: number): void {
    const entry = this.exports.get(id);
    if (entry && entry.kind !== REF_STREAM) this.unexport(entry, count);
  }

  /** CREDIT for a stream this side produces. */
  onCredit(id: number, n: number): void {
    this.exports.get(id)?.stream?.grant(n);
  }

  /** NEXT (of `bytes` bytes) for a stream this side consumes. False when the producer overran its credit. */
  onNext(id: number, value: unknown, bytes: number): boolean {
    const stream = this.imports.get(id)?.deref();
    return stream instanceof ImportedStream ? stream.push(value, bytes) : true;
  }

  /** END for a stream this side consumes. */
  onEnd(id: number, error: RpcError | undefined): void {
    const stream = this.imports.get(id)?.deref();
    if (stream instanceof ImportedStream) stream.end(error);
  }

  /** The method a CALL or NOTIFY names through a reference: `$id` or `$id.path`. */
  lookup(target: string): MethodEntry {
    const dot = target.indexOf(".");
    const idText = dot < 0 ? target.slice(1) : target.slice(1, dot);
    const id = /^[0-9]{1,10}$/.test(idText) ? Number(idText) : NaN;
    const entry = this.exports.get(id);
    if (!entry || entry.kind === REF_STREAM) {
      if (Number.isNaN(id)) throw new RpcError("METHOD_NOT_FOUND", `no method ${JSON.stringify(target)}`);
      throw new RpcError("RELEASED", `${target}: reference ${id} does not exist here (released, or never sent)`);
    }
    if (entry.kind === REF_FUNCTION) {
      if (dot >= 0) throw new RpcError("METHOD_NOT_FOUND", `${target}: reference ${id} is a function, not an object`);
      const fn = entry.value as (...args: unknown[]) => unknown;
      return { name: target, fn, self: undefined, arity: fn.length };
    }
    return entry.dispatcher!.resolve(dot < 0 ? "" : target.slice(dot + 1));
  }

  // ---- StreamOutlet (for exported streams) ----------------------------------------------

  next(id: number, value: unknown): void {
    this.link.next(id, value);
  }

  room(): Promise<void> | undefined {
    return this.link.room();
  }

  end(id: number, error?: ErrorPayload): void {
    if (!this.closed) this.link.end(id, error);
  }

  errorPayload(error: unknown): ErrorPayload {
    return this.link.errorPayload(error);
  }

  finished(id: number): void {
    const entry = this.exports.get(id);
    if (entry?.kind === REF_STREAM) this.removeExport(entry);
  }

  // ---- StreamChannel (for imported streams) ---------------------------------------------

  credit(id: number, n: number): void {
    if (!this.closed) this.link.credit(id, n);
  }

  forget(id: number): void {
    this.imports.delete(id);
    this.streamEnded(id);
  }

  private streamEnded(id: number): void {
    if (this.streamsIn.delete(id) && this.streamsIn.size === 0 && this.streamsOut === 0 && !this.closed) this.link.streamsEnded();
  }

  hold(stream: ImportedStream, waiting: boolean): void {
    if (waiting && !this.closed) this.awaited.add(stream);
    else this.awaited.delete(stream);
  }

  /** A stream's consumer was collected unfinished: stop its producer. */
  abandonStream(id: number, weak: WeakRef<object>): void {
    if (this.imports.get(id) !== weak) return; // ended already; the id may be another stream's now
    this.imports.delete(id);
    this.credit(id, 0);
    this.streamEnded(id);
  }

  /** Ends everything: exported streams stop (their finally blocks run), imported ones fail. */
  close(reason: RpcError): void {
    if (this.closed) return;
    this.closed = reason;
    const exports = [...this.exports.values()];
    this.exports.clear();
    this.exportIds.clear();
    this.streamsOut = 0;
    this.streamsIn.clear();
    for (const e of exports) e.stream?.cancel();
    const imports = [...this.imports.values()];
    this.imports.clear();
    for (const r of this.importRecords.values()) {
      r.released = true;
      collected.unregister(r);
    }
    this.importRecords.clear();
    this.awaited.clear();
    for (const w of imports) {
      const value = w.deref();
      if (value instanceof ImportedStream) value.end(reason);
    }
  }
}
