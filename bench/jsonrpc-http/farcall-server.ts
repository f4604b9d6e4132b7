/**
 * farcall answering JSON-RPC over HTTP: serve() with an http:// listener at /rpc, the same
 * api as the farcall/1 contender, no authkey (the floor has none either).
 */
import { serve } from "../../dist/index.js";
import { announcePort, die, watchParent } from "../child.js";
import { api } from "../farcall/api.js";

watchParent();
serve(api, { listen: "http://127.0.0.1:0/rpc" }).then(
  (server) => announcePort(Number(new URL(server.addresses[0]!).port)),
  die,
);
