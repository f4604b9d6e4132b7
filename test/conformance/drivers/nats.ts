/**
 * farcall on NATS: serve(api, { listen: "nats://127.0.0.1:PORT/svcN" }) joins a queue group,
 * connect("nats://.../svcN") sends each call as a NATS request (a notification as a publish,
 * a batch as one request). One nats-server for the file (test/helpers/nats.ts), skipped
 * loudly where nats-server is missing and never in CI; a service name per case.
 *
 * Not registered: named params (JSON-RPC's alone). maxCallsInFlight is per instance here,
 * not per connection, and answers RESOURCE_EXHAUSTED, so that case runs. A call's deadline
 * travels in a header and stops the handler; NATS has no cancel message, so cancelling is
 * the client's alone.
 */
import { natsServerMissing, startNatsServer, type NatsServer } from "../../helpers/nats.js";
import { serveDriver } from "../serve-driver.js";
import type { Driver } from "../driver.js";

let nats: NatsServer | undefined;
let services = 0;

export const driver: Driver = serveDriver({
  name: "farcall/1 over nats",
  protocol: "farcall/1",
  transport: "nats",
  unavailable: natsServerMissing("NATS conformance tests"),
  caps: {
    namedParams: false,
    notifications: "native",
    errors: "exact",
    deadlineReachesHandler: true,
    cancellation: "client",
    inFlightLimit: true,
    serverInterceptors: true,
    clientInterceptors: true,
  },
  async setup() {
    nats = await startNatsServer({ jetstream: false });
  },
  async teardown() {
    await nats?.stop();
  },
  listen: () => `${nats!.url}/conformance${++services}`,
});
