/**
 * An HttpRpcCore as a Fetch-API handler, `(Request) => Promise<Response>`: for Hono, Bun,
 * Deno, Cloudflare Workers and anything else that speaks Fetch. The rules are rpc-core.ts's,
 * the same as the node:http handler's.
 */
import { RpcError } from "../core/errors.js";
import type { HttpExchange, HttpRpcCore } from "./rpc-core.js";

/** Who is calling, when the framework knows (Fetch's Request does not carry it). */
export interface FetchPeer {
  address: string;
  port?: number;
}

/** A Fetch-API request handler. */
export type FetchHandler = (request: Request, peer?: FetchPeer) => Promise<Response>;

/** Adapts `core` to the Fetch API. */
export function fetchAdapter(core: HttpRpcCore<Request>): FetchHandler {
  return async (request, peer) => {
    const exchange: HttpExchange<Request> = {
      request,
      method: request.method.toUpperCase(),
      header: (name) => request.headers.get(name) ?? undefined,
      peer: {
        transport: new URL(request.url).protocol === "https:" ? "https" : "http",
        address: peer?.address ?? "unknown",
        ...(peer?.port !== undefined ? { port: peer.port } : {}),
      },
      signal: request.signal,
      readBody: (max) => readBody(request, max),
    };
    const answer = await core.handle(exchange);
    const headers = new Headers(answer.headers);
    if (answer.close) headers.set("connection", "close");
    return new Response(answer.body ?? null, { status: answer.status, headers });
  };
}

/** The body of `request`, refusing it as soon as it passes `max` bytes. */
async function readBody(request: Request, max: number): Promise<Uint8Array> {
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => {}); // the body is refused; a failed cancel changes nothing
      throw new RpcError("RESOURCE_EXHAUSTED", `request body exceeds maxBodyBytes ${max} (${size} B read so far)`);
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
