/**
 * The Node runtime for the core: AsyncLocalStorage carries the call being served through
 * every await of its handler, and a handler's signal takes any number of listeners. Imported for its effect by every Node entry (index.ts,
 * serve.ts, connect.ts, the node:http handler), before any call can be served.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { setMaxListeners } from "node:events";
import { installRuntime } from "./core/runtime.js";

installRuntime({ callStore: new AsyncLocalStorage<unknown>(), unlimitListeners: (signal) => setMaxListeners(0, signal) });
