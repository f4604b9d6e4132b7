/** The farcall client over tcp://. */
import { runFarcallClient } from "./run-client.js";

runFarcallClient((port) => `tcp://127.0.0.1:${port}`);
