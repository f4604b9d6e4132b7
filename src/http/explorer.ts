/**
 * The explorer page as an HTTP answer: `GET` with `Accept: text/html` at an endpoint (the
 * one port's `/`, an http:// listener's path) gets the page of explorer-page.ts.
 *
 * The page itself holds no data, so it is served without credentials, like a login form;
 * everything it shows comes from JSON-RPC calls to the same endpoint, which the endpoint's
 * auth guards as any other call. Cross-site use is closed at both ends: the calls need
 * `Content-Type: application/json`, which another origin can only send after a CORS
 * preflight this endpoint never grants (OPTIONS is answered 405), and the page refuses to be
 * framed (clickjacking) and runs no script but its own (a CSP hash, not 'unsafe-inline').
 */
import { createHash } from "node:crypto";
import { EXPLORER_HTML, EXPLORER_SCRIPT } from "./explorer-page.js";
import type { HttpAnswer } from "./protocol.js";

/** A page served for GET before any credentials are asked for. */
export interface HttpPage {
  /** True when a GET asks for this page (judged by its headers). */
  wants(header: (name: string) => string | undefined): boolean;
  /** The answer; the same bytes every time. */
  answer(): HttpAnswer;
}

/** The explorer page. */
export function explorerPage(): HttpPage {
  const body = Buffer.from(EXPLORER_HTML, "utf8");
  const scriptHash = createHash("sha256").update(EXPLORER_SCRIPT, "utf8").digest("base64");
  const headers: Record<string, string> = {
    "content-type": "text/html; charset=utf-8",
    "content-security-policy": `default-src 'none'; script-src 'sha256-${scriptHash}'; style-src 'unsafe-inline'; connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'`,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
  };
  return {
    wants: (header) => acceptsHtml(header("accept")),
    answer: () => ({ status: 200, headers: { ...headers }, body, close: false }),
  };
}

/** The Accept header names text/html: what a browser's navigation sends. */
function acceptsHtml(accept: string | undefined): boolean {
  if (accept === undefined) return false;
  return accept.split(",").some((part) => part.split(";")[0]!.trim().toLowerCase() === "text/html");
}
