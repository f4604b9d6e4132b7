/**
 * The Node runtime for the core: AsyncLocalStorage carries the call being served through
 * every await of its handler. Imported for its effect by every Node entry (index.ts,
 * serve.ts, connect.ts, the node:http handler), before any call can be served.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { installRuntime } from "./core/runtime.js";

installRuntime({ callStore: new AsyncLocalStorage<unknown>() });
