/** The farcall client asking for a resumable session (the farcall-resume contender): see run-client.ts. */
import { runFarcallClient } from "./run-client.js";

runFarcallClient((port) => `tcp://127.0.0.1:${port}`, { resume: true });
