/**
 * The seam between http/ and the RPC protocols carried by HTTP POST (JSON-RPC, XML-RPC):
 * HttpRpcCore checks the verb, the credentials and the body size; a protocol turns one body
 * into one answer and says how its errors look. The protocols live in their families, and
 * whoever builds a core (serve(), httpHandler(), fetchHandler()) hands them in, so http/
 * imports no family.
 */
import type { PeerInfo } from "../core/context.js";
import type { RpcError } from "../core/errors.js";
import type { CallOrigin } from "../core/incoming-call.js";

/** What to send back. */
export interface HttpAnswer {
  status: number;
  headers: Record<string, string>;
  body?: Uint8Array;
  /** Close the connection after answering: the request body was not read. */
  close: boolean;
}

/**
 * One request, as a protocol sees it once the core has admitted it: the origin of every call
 * its body holds (who, the cancel signal, and the metadata and deadline the Farcall-Meta and
 * Farcall-Timeout headers carry, which neither JSON-RPC nor XML-RPC documents have room for).
 */
export interface HttpRpcRequest extends CallOrigin {
  /** A request header by lower-case name. */
  header(name: string): string | undefined;
  /** Who is calling, and whether they proved the key (or passed `auth`). */
  readonly peer: PeerInfo;
  /** Aborted when the caller goes away before the answer is sent. */
  readonly signal: AbortSignal;
}

/** A protocol's answer to GET: a description of the service (JSON-RPC's OpenRPC document). */
export interface HttpDiscovery {
  /** How to ask for it, for the message of a 405: "GET with Accept: application/json for the OpenRPC document". */
  readonly hint: string;
  /** True when a GET asks for this description (judged by its headers). */
  wants(header: (name: string) => string | undefined): boolean;
  /** The description, for an admitted request that wants it. */
  describe(request: HttpRpcRequest): HttpAnswer;
}

/** An RPC protocol over HTTP POST. */
export interface HttpRpcProtocol {
  /** Its name in messages: "JSON-RPC". */
  readonly name: string;
  /** The Content-Types it takes, for the message of a 415: "application/json (JSON-RPC)". */
  readonly mediaTypes: string;
  /** True when a POST whose Content-Type is `contentType` is for this protocol. */
  accepts(contentType: string | undefined): boolean;
  /**
   * Answers one body read within the size limit, at once when nothing it runs waits; never
   * rejects for anything the caller sent.
   */
  answer(body: Uint8Array, request: HttpRpcRequest): HttpAnswer | Promise<HttpAnswer>;
  /** An answer carrying `error` in this protocol's form, for refusals before any body was read. */
  refusal(status: number, error: RpcError, close: boolean): HttpAnswer;
  /** Its answer to GET, if it has one. */
  readonly discovery?: HttpDiscovery;
}
