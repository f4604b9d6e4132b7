/**
 * The farcall server with session resumption on (resumeWindowMs), to measure what keeping
 * every message until it is acknowledged costs a call.
 */
import { serve } from "../../dist/index.js";
import { announcePort, die, watchParent } from "../child.js";
import { api, AUTHKEY } from "./api.js";

watchParent();
serve(api, { listen: "tcp://127.0.0.1:0", authkey: AUTHKEY, resumeWindowMs: 30_000 }).then(
  (server) => announcePort(Number(new URL(server.addresses[0]).port)),
  die,
);
