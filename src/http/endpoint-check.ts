/**
 * What connect() does over HTTP before it resolves: one cheap request of the protocol's own
 * introspection (JSON-RPC's rpc.discover, XML-RPC's system.listMethods), so a dead port, a
 * wrong key or a URL that is no RPC endpoint fails connect() as over TCP, with the same
 * codes, instead of the first call. Any answer of the protocol counts, a fault included: a
 * server without introspection (METHOD_NOT_FOUND) is still an endpoint.
 */
import { RpcError } from "../core/errors.js";
import type { Caller } from "../core/remote.js";
import type { HttpPoster, PostAnswer } from "./post.js";

/** The RPC error an answer carried (`{}` for a result), or undefined when the answer is no document of the protocol. */
export type EndpointReading = { error?: RpcError } | undefined;

/** A request to probe an endpoint with, and how to read its answer. */
export interface EndpointProbe {
  /** "JSON-RPC" or "XML-RPC", for messages. */
  kind: string;
  /** The URL as the user gave it. */
  url: string;
  payload: Uint8Array;
  headers: Record<string, string>;
  read(answer: PostAnswer): EndpointReading;
}

/** Codes of an answer that mean the endpoint refuses this client, not that it lacks a method. */
const REFUSALS: ReadonlySet<unknown> = new Set(["UNAUTHENTICATED", "PERMISSION_DENIED"]);

/**
 * Sends `probe` and resolves when an endpoint of its protocol answered and accepted us;
 * rejects UNAVAILABLE (no answer, or a 5xx), DEADLINE_EXCEEDED (none within `timeout` ms),
 * UNAUTHENTICATED (401 or the protocol's own refusal), PERMISSION_DENIED (403), or
 * INVALID_REQUEST for anything else ("not a farcall or JSON-RPC endpoint").
 */
export async function checkEndpoint(poster: HttpPoster, probe: EndpointProbe, timeout: number): Promise<void> {
  const answer = await poster.post(probe.payload, probe.headers, timeout, undefined, `connect to ${probe.url}`);
  const reading = probe.read(answer);
  if (reading?.error !== undefined && REFUSALS.has(reading.error.code)) throw reading.error;
  if (reading !== undefined) return;
  const status = `HTTP ${answer.status}${answer.headers["content-type"] ? ` (${answer.headers["content-type"]})` : ""}`;
  if (answer.status === 401) throw new RpcError("UNAUTHENTICATED", `${probe.url} refused the key: ${status}`);
  if (answer.status === 403) throw new RpcError("PERMISSION_DENIED", `${probe.url} refused this client: ${status}`);
  if (answer.status >= 500) throw new RpcError("UNAVAILABLE", `${probe.url} answered ${status} to a ${probe.kind} request`);
  throw new RpcError("INVALID_REQUEST", `${probe.url} is not a farcall or ${probe.kind} endpoint: it answered ${status} to a ${probe.kind} request`);
}

/** `caller` once `check` passed; closed, and the check's error thrown, when it did not. */
export async function checkedCaller<C extends Caller>(caller: C, check: Promise<void>): Promise<C> {
  try {
    await check;
    return caller;
  } catch (err) {
    await caller.close();
    throw err;
  }
}
