/**
 * What the orchestrator and the processes of the seed counter workload share.
 */
import type { Job } from "../jobs.js";

/** The seed programs' authkey and key. */
export const AUTHKEY = "password";
export const KEY = "hikakin";

/** farcall's server reports both of its ports on one line with this tag. */
export const TAG_PORTS = "PORTS";

/** A farcall client's job: the usual W4 fields, plus the server's URL. */
export type CounterJob = Job & { url: string };

/** silenceMs of the one-port listener in the benchmark: what each Python connection waits there. */
export const SILENCE_MS = 10;
