/**
 * `ws` is loaded with a listener's first upgrade, not with farcall: a process that never
 * takes one (every client, a server nobody upgrades on) skips its modules. It is CommonJS,
 * so require() loads it synchronously, where the upgrade needs it.
 */
import { createRequire } from "node:module";

export const requireWs = (): typeof import("ws") => createRequire(import.meta.url)("ws") as typeof import("ws");
