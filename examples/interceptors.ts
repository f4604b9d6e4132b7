// Interceptors: middleware every call passes through, whatever protocol brought it.
// One server, two listeners (farcall/1 over TCP and JSON-RPC over HTTP), two interceptors
// written once: a timer that logs each call's method, protocol and duration, and a
// per-method permission check that only lets callers with the "admin" role reset a counter.
// A client interceptor attaches the role to every outgoing call as metadata.
import { connect, context, notify, RpcError, serve, type ClientInterceptor, type Interceptor } from "../src/index.js";

const counts = new Map<string, number>();
const api = {
  counter: {
    inc: (name: string) => {
      const n = (counts.get(name) ?? 0) + 1;
      counts.set(name, n);
      return n;
    },
    reset: (name: string) => {
      counts.delete(name);
      return 0;
    },
  },
};

const log: string[] = [];
const timing: Interceptor = async (call, next) => {
  const started = performance.now();
  try {
    return await next();
  } finally {
    const ms = (performance.now() - started).toFixed(1);
    log.push(`${call.protocol} ${call.method} ${ms} ms`);
  }
};

// Methods that need a role, and the role they need. Everything else is open.
const NEEDS: Record<string, string> = { "counter.reset": "admin" };
const permissions: Interceptor = (call, next) => {
  const needed = NEEDS[call.method];
  // context() is the same object as `call`: handlers and interceptors see one call.
  if (needed !== undefined && context().meta.role !== needed) {
    throw new RpcError("PERMISSION_DENIED", `${call.method} needs the ${needed} role`);
  }
  return next();
};

const server = await serve(api, {
  listen: ["tcp://127.0.0.1:0", "http://127.0.0.1:0"],
  use: [timing, permissions], // timing is outermost: it also times the calls that are denied
  logger: false,
});
const [tcpUrl, httpUrl] = server.addresses as [string, string];

type Api = typeof api;
const asRole = (role: string): ClientInterceptor => (call, next) => {
  call.options = { ...call.options, meta: { ...call.options.meta, role } };
  return next();
};

const user = await connect<Api>(tcpUrl, { use: [asRole("user")] });
const admin = await connect<Api>(httpUrl, { use: [asRole("admin")] });

console.log(`user inc views -> ${await user.counter.inc("views")}`);
try {
  await user.counter.reset("views");
} catch (err) {
  console.log(`user reset views -> ${(err as RpcError).code}`);
}
console.log(`admin over HTTP inc views -> ${await admin.counter.inc("views")}`);
console.log(`admin over HTTP reset views -> ${await admin.counter.reset("views")}`);
// A notification passes through the interceptors too; it has no answer to wait for, but
// the call after it on the same connection is served after it.
notify(user.counter.inc, ["views"]);
console.log(`user inc views after a notification -> ${await user.counter.inc("views")}`);

await user[Symbol.asyncDispose]();
await admin[Symbol.asyncDispose]();
await server.close();
// Every call above passed through both interceptors, whichever protocol carried it.
console.log(log.map((line) => line.replace(/ [\d.]+ ms$/, "")).join("\n"));
