/**
 * farcall/1 over the in-memory pair (test/helpers/memory-pair.ts): two Peers back to back,
 * no socket, no handshake. Each connect() makes a new pair whose server side serves the API
 * with the case's limits, call log and interceptors. Named params are JSON-RPC's alone.
 * Client interceptors are not registered: connect() installs them, and the pair makes its
 * remote without it.
 */
import { close as closeRemote, type Remote } from "../../../src/index.js";
import { memoryPair, type MemoryPair } from "../../helpers/memory-pair.js";
import { FARCALL_CAPS, type Driver, type Endpoint } from "../driver.js";

export const driver: Driver = {
  name: "farcall/1 over an in-memory pair",
  protocol: "farcall/1",
  transport: "memory",
  // Client interceptors are connect()'s, which the pair does not use.
  caps: { ...FARCALL_CAPS, clientInterceptors: false },
  async start(api, options): Promise<Endpoint> {
    const pairs: MemoryPair<unknown>[] = [];
    return {
      async connect<T>(): Promise<Remote<T>> {
        const pair = memoryPair<T>({
          serverApi: api,
          callLog: options.callLog,
          ...(options.use !== undefined ? { use: options.use } : {}),
          ...(options.maxCallsInFlight !== undefined ? { limits: { maxCallsInFlight: options.maxCallsInFlight } } : {}),
        });
        pairs.push(pair as MemoryPair<unknown>);
        return pair.clientRemote;
      },
      async close() {
        for (const pair of pairs) {
          await closeRemote(pair.clientRemote);
          pair.close();
        }
      },
    };
  },
};
