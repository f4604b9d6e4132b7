/**
 * What every shared object (SharedQueue, SharedDict, SharedLock...) has in common: it is one
 * object whose state every client sees, so it never travels as a copy. farcall/1 passes it by
 * reference (the caller gets a proxy whose calls run on this instance), Python's manager
 * clients get a proxy, and a protocol without references (JSON-RPC, XML-RPC) fails the call
 * naming the object, instead of sending a snapshot of its fields that no caller could use.
 */
import { RpcError } from "../../core/errors.js";
import { ref } from "../../core/ref.js";

export abstract class SharedObject {
  constructor() {
    ref(this);
  }

  /**
   * JSON's hook, refusing: a getter, not a method, so that farcall/1 does not expose it as a
   * callable member of the reference.
   */
  get toJSON(): () => never {
    const kind = this.constructor.name;
    return () => {
      throw new RpcError("INVALID_REQUEST", `a ${kind} cannot be sent as JSON: a shared object travels only by reference (over farcall/1, and as a proxy to Python's manager clients); serve it under a name, as in serve({ shared: new ${kind}() }), and call shared.<method>(...) instead of returning it`);
    };
  }
}
