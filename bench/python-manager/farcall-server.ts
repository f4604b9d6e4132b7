/**
 * W4's "Python clients -> farcall" contender, server side: the farcall bench api (its
 * `counter` namespace holds the seed's get/inc) served on a pymanager:// listener, so the
 * unchanged Python clients of the BaseManager contender (client.py: `manager.counter()`,
 * then get/inc through the proxy) call farcall instead of Python's own server.
 */
import { serve } from "../../dist/index.js";
import { announcePort, die, watchParent } from "../child.js";
import { api } from "../farcall/api.js";

/** client.py's authkey, as the seed programs use. */
const PYTHON_AUTHKEY = "password";

watchParent();
serve(api, { listen: "pymanager://127.0.0.1:0", authkey: PYTHON_AUTHKEY }).then(
  (server) => announcePort(Number(server.addresses[0]!.slice(server.addresses[0]!.lastIndexOf(":") + 1))),
  die,
);
