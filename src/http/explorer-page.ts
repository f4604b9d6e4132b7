/**
 * The explorer page's text: one self-contained HTML document (inline CSS and script, no
 * CDN, nothing built at run time). The script reads the method list with `rpc.discover`
 * and makes every call as JSON-RPC 2.0 over HTTP POST to the page's own URL.
 *
 * Security, as the page is built: the key typed by the user stays in a variable of the
 * page (never in a URL, a cookie or storage) and is sent as `Authorization: Bearer`, which
 * a browser never adds by itself, so another site cannot borrow it; every text from the
 * server is written with textContent, never parsed as HTML.
 */
import { JSON_RPC_CODES } from "../core/errors.js";

export const EXPLORER_STYLE = `
[hidden]{display:none!important}
body{font:14px/1.45 system-ui,sans-serif;margin:0;background:#f6f7f9;color:#1d2330}
header{background:#1d2330;color:#fff;padding:12px 20px;display:flex;gap:16px;align-items:center;flex-wrap:wrap}
header h1{font-size:18px;margin:0}
#status{opacity:.8}
main{padding:16px 20px;max-width:980px}
form#auth{display:flex;gap:8px;align-items:center;margin-bottom:16px}
section.method{background:#fff;border:1px solid #d8dce3;border-radius:6px;padding:12px 14px;margin-bottom:12px}
section.method h2{font:600 15px ui-monospace,monospace;margin:0 0 4px}
.params{color:#5a6372;font-family:ui-monospace,monospace}
.desc{margin:4px 0}
.row{display:flex;gap:8px;margin-top:8px}
input.args{flex:1;font:13px ui-monospace,monospace;padding:4px 6px}
pre{background:#f0f2f5;padding:8px;margin:8px 0 0;white-space:pre-wrap;word-break:break-all;font-size:12px}
pre.result{border-left:4px solid #2e8b57}
pre.error{border-left:4px solid #c0392b}
pre.line{color:#39414f}
button{cursor:pointer}
`;

/** The page's behaviour; it runs in the browser, so it is plain ES2020 without imports. */
export const EXPLORER_SCRIPT = `
"use strict";
const endpoint = location.pathname;
let key = "";
let nextId = 1;
const $ = (tag, props, ...children) => {
  const el = document.createElement(tag);
  Object.assign(el, props);
  for (const c of children) el.append(c);
  return el;
};
const status = (text) => { document.getElementById("status").textContent = text; };

async function rpc(method, params) {
  const headers = { "content-type": "application/json" };
  if (key) headers.authorization = "Bearer " + key;
  const response = await fetch(endpoint, { method: "POST", headers, body: JSON.stringify({ jsonrpc: "2.0", id: nextId++, method, params }), credentials: "omit", cache: "no-store" });
  const text = await response.text();
  let body;
  try { body = JSON.parse(text); } catch { throw { code: "HTTP " + response.status, message: text.slice(0, 500) }; }
  if (response.status === 401) throw { code: 401, message: body.error ? body.error.message : "unauthenticated", unauthenticated: true };
  if (body.error) throw body.error;
  return body.result;
}

/** farcall codes by JSON-RPC error number, to name a code as farcall does. */
const CODES = ${JSON.stringify(Object.fromEntries(Object.entries(JSON_RPC_CODES).map(([code, n]) => [n, code])))};

/** "CODE (number)" and the data; an application code travels as -32000 with data {code, data}. */
function describeError(err) {
  let code = err.code;
  let data = err.data;
  if (code === -32000 && data && typeof data === "object" && "code" in data) {
    code = data.code + " (-32000)";
    data = data.data;
  } else if (CODES[code]) code = CODES[code] + " (" + code + ")";
  return "error " + code + ": " + err.message + (data !== undefined ? "\\ndata: " + JSON.stringify(data, null, 2) : "");
}

const quote = (s) => "'" + s.replace(/'/g, "'\\\\''") + "'";

function lines(method, args, keyed) {
  const url = location.origin + endpoint;
  const cli = ["farcall", "call", url, method, ...args.map((a) => quote(JSON.stringify(a)))].join(" ");
  const doc = JSON.stringify({ jsonrpc: "2.0", id: 1, method, params: args });
  const auth = keyed ? " -H \\"Authorization: Bearer $FARCALL_AUTHKEY\\"" : "";
  return [(keyed ? "FARCALL_AUTHKEY=... " : "") + cli, "curl -s " + url + " -H 'Content-Type: application/json'" + auth + " -d " + quote(doc)];
}

function render(doc) {
  const list = document.getElementById("methods");
  list.replaceChildren();
  document.getElementById("title").textContent = doc.info.title + " " + doc.info.version;
  status(doc.methods.length + " methods");
  for (const m of doc.methods) {
    const names = m.params.map((p) => p.name);
    const args = $("input", { className: "args", value: "[" + names.map(() => "").join(", ") + "]", title: "arguments as a JSON array" });
    args.setAttribute("aria-label", "arguments of " + m.name);
    const out = $("pre", { className: "out", hidden: true });
    const cli = $("pre", { className: "line cli" });
    const curl = $("pre", { className: "line curl" });
    const showLines = () => {
      let parsed;
      try { parsed = JSON.parse(args.value); } catch { return; }
      if (!Array.isArray(parsed)) return;
      const [a, b] = lines(m.name, parsed, key !== "");
      cli.textContent = a;
      curl.textContent = b;
    };
    const call = $("button", { className: "call", textContent: "Call" });
    call.addEventListener("click", async () => {
      let parsed;
      try { parsed = JSON.parse(args.value); } catch (err) { return show(out, "error", "arguments are not JSON: " + err.message); }
      if (!Array.isArray(parsed)) return show(out, "error", "arguments must be a JSON array, one element per parameter");
      showLines();
      try {
        show(out, "result", JSON.stringify(await rpc(m.name, parsed), null, 2) ?? "(no result)");
      } catch (err) {
        show(out, "error", describeError(err));
      }
    });
    args.addEventListener("input", showLines);
    const section = $("section", { className: "method" },
      $("h2", { textContent: m.name }),
      $("div", { className: "params", textContent: "(" + names.join(", ") + ")" }));
    section.dataset.method = m.name;
    if (m.description) section.append($("p", { className: "desc", textContent: m.description }));
    section.append($("div", { className: "row" }, args, call), out, cli, curl);
    list.append(section);
    showLines();
  }
}

function show(out, kind, text) {
  out.hidden = false;
  out.className = "out " + kind;
  out.textContent = text;
}

async function load() {
  try {
    render(await rpc("rpc.discover", []));
    document.getElementById("auth").hidden = true;
  } catch (err) {
    if (err.unauthenticated) {
      document.getElementById("auth").hidden = false;
      status(key ? "wrong key" : "this server needs its key");
      document.getElementById("key").focus();
    } else status("cannot list the methods: " + err.message);
  }
}

document.getElementById("auth").addEventListener("submit", (event) => {
  event.preventDefault();
  key = document.getElementById("key").value;
  load();
});
load();
`;

/** The whole document. */
export const EXPLORER_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>farcall explorer</title>
<style>${EXPLORER_STYLE}</style>
</head>
<body>
<header><h1 id="title">farcall</h1><span id="status">loading...</span></header>
<main>
<form id="auth" hidden autocomplete="off">
<label for="key">authkey</label>
<input id="key" type="password" autocomplete="off">
<button type="submit">Use key</button>
</form>
<div id="methods"></div>
</main>
<script>${EXPLORER_SCRIPT}</script>
</body>
</html>
`;
