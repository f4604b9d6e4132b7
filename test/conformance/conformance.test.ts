/**
 * The conformance suite (cases.ts) against every protocol x transport that can carry it, in
 * one process: each driver in drivers/ says what its protocol carries and why a case is not
 * registered for it.
 */
import { runConformance } from "./cases.js";
import { driver as farcallMemory } from "./drivers/farcall-memory.js";
import { driver as farcallTcp } from "./drivers/farcall-tcp.js";
import { driver as farcallTls } from "./drivers/farcall-tls.js";
import { driver as farcallUnix } from "./drivers/farcall-unix.js";
import { driver as farcallWs } from "./drivers/farcall-ws.js";
import { driver as farcallWsOnePort } from "./drivers/farcall-ws-one-port.js";
import { driver as farcallWss } from "./drivers/farcall-wss.js";
import { driver as jsonRpcHttp } from "./drivers/jsonrpc-http.js";
import { driver as jsonRpcTcp } from "./drivers/jsonrpc-tcp.js";
import { driver as xmlRpcHttp } from "./drivers/xmlrpc-http.js";
import { driver as pymanagerTcp } from "./drivers/pymanager-tcp.js";
import { driver as nats } from "./drivers/nats.js";

for (const driver of [farcallMemory, farcallTcp, farcallTls, farcallUnix, farcallWs, farcallWsOnePort, farcallWss, jsonRpcHttp, jsonRpcTcp, xmlRpcHttp, pymanagerTcp, nats]) {
  runConformance(driver);
}
