/** The farcall client: see run-client.ts. */
import { runFarcallClient } from "./run-client.js";

runFarcallClient();
