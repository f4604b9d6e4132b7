/**
 * farcall's side of the seed counter workload: the seed server's `get` and `inc`
 * (counterApi of the pymanager test fixtures) served on a pymanager:// listener for Python's
 * clients, a tcp:// (farcall/1) listener for farcall's, and a tcp:// listener that answers
 * both (pymanager: { silenceMs }), all with the seed's authkey. Every pymanager listener
 * also serves SyncManager's types, for the dict and Queue workload.
 */
import { serve } from "../../dist/index.js";
import { counterApi } from "../../test/fixtures/pymanager/seed-api.js";
import { die, report, watchParent } from "../child.js";
import { AUTHKEY, SILENCE_MS, TAG_PORTS } from "./shared.js";

watchParent();
const listen = ["pymanager://127.0.0.1:0", "tcp://127.0.0.1:0", { url: "tcp://127.0.0.1:0", pymanager: { silenceMs: SILENCE_MS } }];
serve(counterApi(), { listen, authkey: AUTHKEY }).then((server) => {
  const portOf = (i: number): number => Number(server.addresses[i]!.slice(server.addresses[i]!.lastIndexOf(":") + 1));
  report(TAG_PORTS, { pymanager: portOf(0), tcp: portOf(1), oneport: portOf(2) });
}, die);
