/**
 * The farcall server: serve() on an ephemeral loopback port, with an authkey as in the
 * origin workload.
 */
import { serve } from "../../dist/index.js";
import { announcePort, die, watchParent } from "../child.js";
import { api, AUTHKEY } from "./api.js";

watchParent();
serve(api, { listen: "tcp://127.0.0.1:0", authkey: AUTHKEY }).then(
  (server) => announcePort(Number(new URL(server.addresses[0]).port)),
  die,
);
