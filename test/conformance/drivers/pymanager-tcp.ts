/**
 * Python's multiprocessing manager protocol: serve(api, { listen: "pymanager://127.0.0.1:0" })
 * and connect("pymanager://..."), farcall on both ends of the wire Python's BaseManager speaks.
 *
 * What the protocol can carry decides the cases:
 * - errors travel as Python exceptions (src/pymanager/errors.ts): an RpcError whose code names
 *   a Python exception (NOT_FOUND, PERMISSION_DENIED...) arrives as that exception's name, any
 *   other in a traceback ending "CODE: message", which the client reads back as that code;
 *   data does not survive. An unknown method is a `create` of an unknown typeid, whose
 *   `KeyError: 'name'` traceback (Python's own server answers the same) the client reads as
 *   METHOD_NOT_FOUND.
 * - no notifications: notify() is a call whose answer the client drops ("emulated").
 * - no deadlines or cancellation on the wire: both are the client's alone (the handler is
 *   not told), but withOptions({ timeout, signal }) must still bound the caller's wait.
 * - no named params (JSON-RPC's alone); no in-flight limit (a manager connection carries one
 *   request at a time).
 */
import type { ErrorCode } from "../../../src/index.js";
import { serveDriver } from "../serve-driver.js";
import type { Driver } from "../driver.js";

/** What a framework code raised on the server arrives as, through Python's exceptions. */
const PYTHON_CODES: Partial<Record<ErrorCode, string>> = {
  PERMISSION_DENIED: "PermissionError",
  INVALID_PARAMS: "TypeError",
};

export const driver: Driver = serveDriver({
  name: "pymanager over tcp",
  protocol: "pymanager",
  transport: "tcp",
  caps: {
    namedParams: false,
    notifications: "emulated",
    errors: "python",
    deadlineReachesHandler: false,
    cancellation: "client",
    inFlightLimit: false,
    serverInterceptors: true,
    clientInterceptors: true,
  },
  listen: () => "pymanager://127.0.0.1:0",
  clientCode: (code) => PYTHON_CODES[code] ?? code,
});
