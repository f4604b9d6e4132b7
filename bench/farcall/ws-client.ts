/** The farcall client over ws://, on the same one port as tcp:// (the upgrade is sniffed). */
import { runFarcallClient } from "./run-client.js";

runFarcallClient((port) => `ws://127.0.0.1:${port}/`);
