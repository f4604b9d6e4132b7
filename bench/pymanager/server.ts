/**
 * farcall's side of the seed counter workload: the seed server's `get` and `inc`
 * (counterApi of the pymanager test fixtures) served on a pymanager:// listener for Python's
 * clients and a tcp:// (farcall/1) listener for farcall's, both with the seed's authkey.
 */
import { serve } from "../../src/index.js";
import { counterApi } from "../../test/fixtures/pymanager/seed-api.js";
import { die, report, watchParent } from "../child.js";
import { AUTHKEY, TAG_PORTS } from "./shared.js";

watchParent();
serve(counterApi(), { listen: ["pymanager://127.0.0.1:0", "tcp://127.0.0.1:0"], authkey: AUTHKEY }).then((server) => {
  const portOf = (scheme: string): number => Number(new URL(server.addresses.find((a) => a.startsWith(`${scheme}:`))!).port);
  report(TAG_PORTS, { pymanager: portOf("pymanager"), tcp: portOf("tcp") });
}, die);
