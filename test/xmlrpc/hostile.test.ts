/**
 * Hostile XML-RPC documents against a running server, on an http:// listener and on the
 * one-port tcp:// listener: each is answered by a fault or a 4xx, nothing is expanded or
 * read from disk or the network, no handler runs, and the server keeps answering.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server as HttpServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { serve, type Server } from "../../src/index.js";
import { decodeXmlRpc } from "../../src/xmlrpc/decode.js";
import { fromFault } from "../../src/xmlrpc/faults.js";

const CALL_TIMEOUT_MS = 30_000;
const MiB = 1024 * 1024;

let calls = 0;
const api = {
  echo: (value: unknown) => {
    calls++;
    return value;
  },
};

interface Answer {
  status: number;
  text: string;
  /** The fault's code, when the body is a fault. */
  code?: string | number;
}

async function post(url: string, body: string | Uint8Array): Promise<Answer> {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "text/xml" }, body, signal: AbortSignal.timeout(CALL_TIMEOUT_MS) });
  const bytes = new Uint8Array(await res.arrayBuffer());
  const text = new TextDecoder().decode(bytes);
  const doc = decodeXmlRpc(bytes, { maxDepth: 8, maxElements: 1000 });
  return doc.kind === "fault" ? { status: res.status, text, code: fromFault(doc.fault).code } : { status: res.status, text };
}

function call(method: string, valueXml: string): string {
  return `<?xml version="1.0"?><methodCall><methodName>${method}</methodName><params><param><value>${valueXml}</value></param></params></methodCall>`;
}

const BILLION_LAUGHS = `<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
${call("echo", "<string>&lol9;</string>")}`;

describe("hostile XML-RPC documents against a running server", () => {
  let server: Server;
  let small: Server;
  let urls: string[];
  let dir: string;
  let marker: string;
  let markerFile: string;
  let entityHits = 0;
  let entityServer: HttpServer;
  let entityUrl: string;

  before(async () => {
    server = await serve(api, { listen: ["http://127.0.0.1:0/RPC2", "tcp://127.0.0.1:0"], logger: false });
    small = await serve(api, { listen: "http://127.0.0.1:0/", maxXmlElements: 1000, logger: false });
    urls = [server.addresses[0]!, `${server.addresses[1]!.replace("tcp://", "http://")}/`];
    dir = mkdtempSync(join(tmpdir(), "farcall-xxe-"));
    marker = `MARKER-${process.pid}-${Date.now()}`;
    markerFile = join(dir, "secret.txt");
    writeFileSync(markerFile, marker);
    // Anything that followed an http:// external entity would show up here.
    entityServer = createServer((_req, res) => {
      entityHits++;
      res.end(marker);
    });
    await new Promise<void>((resolve) => entityServer.listen(0, "127.0.0.1", resolve));
    entityUrl = `http://127.0.0.1:${(entityServer.address() as { port: number }).port}/entity`;
  });
  after(async () => {
    await Promise.all([server.close(), small.close(), new Promise<void>((resolve) => entityServer.close(() => resolve()))]);
    rmSync(dir, { recursive: true, force: true });
  });

  /** Sends `body` to every listener; checks each answer and that the server still answers a plain call. */
  async function refused(body: string | Uint8Array, check: (a: Answer) => void, target = (): string[] => urls): Promise<void> {
    for (const url of target()) {
      const before = calls;
      check(await post(url, body));
      assert.equal(calls, before, `no handler ran for the hostile document (${url})`);
      const healthy = await post(url, call("echo", "<string>still up</string>"));
      assert.equal(healthy.status, 200);
      assert.match(healthy.text, /still up/, `the server still answers after it (${url})`);
    }
  }

  it("a billion-laughs document is refused as PARSE_ERROR without expanding anything", async () => {
    await refused(BILLION_LAUGHS, (a) => {
      assert.equal(a.status, 200);
      assert.equal(a.code, "PARSE_ERROR");
      assert.match(a.text, /DOCTYPE/);
      assert.ok(a.text.length < 2000, `a small answer, not an expansion (${a.text.length} characters)`);
    });
  });

  it("an external entity (file:// or http://) is refused; the file is not read and nothing is fetched", async () => {
    for (const system of [`file://${markerFile}`, markerFile, entityUrl]) {
      const doc = `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "${system}">]>${call("echo", "<string>&xxe;</string>")}`;
      await refused(doc, (a) => {
        assert.equal(a.code, "PARSE_ERROR");
        assert.ok(!a.text.includes(marker), "the marker never reaches the answer");
      });
      // Parameter entities are refused the same way: the DOCTYPE never gets read.
      await refused(`<?xml version="1.0"?><!DOCTYPE x [<!ENTITY % p SYSTEM "${system}"> %p;]>${call("echo", "<string>x</string>")}`, (a) => assert.equal(a.code, "PARSE_ERROR"));
    }
    assert.equal(entityHits, 0, "nothing fetched the http:// entity");
  });

  it("entity declarations outside a DOCTYPE and undefined entities are PARSE_ERROR", async () => {
    await refused(`<!ENTITY x "y">${call("echo", "<string>a</string>")}`, (a) => assert.equal(a.code, "PARSE_ERROR"));
    await refused(call("echo", "<string>&nbsp;&undefined;</string>"), (a) => assert.equal(a.code, "PARSE_ERROR"));
  });

  it("100,000-deep arrays are refused as RESOURCE_EXHAUSTED once they pass maxDepth", async () => {
    const depth = 100_000;
    const doc = call("echo", `${"<array><data><value>".repeat(depth)}<int>1</int>${"</value></data></array>".repeat(depth)}`);
    await refused(doc, (a) => {
      assert.equal(a.status, 200);
      assert.equal(a.code, "RESOURCE_EXHAUSTED");
      assert.match(a.text, /maxDepth 64/);
    });
    const structs = call("echo", `${"<struct><member><name>a</name><value>".repeat(depth)}1${"</value></member></struct>".repeat(depth)}`);
    await refused(structs, (a) => assert.equal(a.code, "RESOURCE_EXHAUSTED"));
  });

  it("a 20 MiB string is refused with 413 before it is parsed", async () => {
    const doc = call("echo", `<string>${"x".repeat(20 * MiB)}</string>`);
    await refused(doc, (a) => {
      assert.equal(a.status, 413);
      assert.equal(a.code, "RESOURCE_EXHAUSTED");
      assert.match(a.text, /maxBodyBytes 16777216/);
    });
  });

  it("a document of more elements than maxXmlElements is refused as RESOURCE_EXHAUSTED", async () => {
    const doc = call("echo", `<array><data>${"<value><nil/></value>".repeat(600)}</data></array>`);
    await refused(doc, (a) => {
      assert.equal(a.code, "RESOURCE_EXHAUSTED");
      assert.match(a.text, /maxElements 1000/);
    }, () => [small.addresses[0]!]);
  });

  it("malformed XML is PARSE_ERROR and XML that is not a call is INVALID_REQUEST", async () => {
    const parseErrors: (string | Uint8Array)[] = [
      "<methodCall><methodName>echo</methodName>",
      "<methodCall><methodName>echo</methodCall>",
      "not xml at all",
      "",
      new Uint8Array([0x3c, 0x61, 0x3e, 0xff, 0xfe, 0x3c, 0x2f, 0x61, 0x3e]),
      `<methodCall><methodName a=b>echo</methodName></methodCall>`,
    ];
    for (const doc of parseErrors) await refused(doc, (a) => assert.equal(a.code, "PARSE_ERROR", a.text));
    const invalid = [
      "<html><body>hi</body></html>",
      `<methodCall><params/></methodCall>`,
      call("echo", "<int>twelve</int>"),
      call("echo", "<int>99999999999999999999999</int>"),
      call("echo", "<struct><member><value>1</value></member></struct>"),
      call("echo", "<string>a</string><int>1</int>"),
      call("echo", "<script>1</script>"),
      `<methodResponse><params><param><value>1</value></param></params></methodResponse>`,
    ];
    for (const doc of invalid) await refused(doc, (a) => assert.equal(a.code, "INVALID_REQUEST", a.text));
  });

  it("a methodName of __proto__, constructor or toString is METHOD_NOT_FOUND", async () => {
    for (const name of ["__proto__", "constructor", "toString", "echo.__proto__", "hasOwnProperty"]) {
      const doc = `<methodCall><methodName>${name}</methodName><params/></methodCall>`;
      await refused(doc, (a) => assert.equal(a.code, "METHOD_NOT_FOUND"));
    }
  });

  it("a struct member named __proto__ stays an own member and pollutes nothing", async () => {
    const a = await post(urls[0]!, call("echo", "<struct><member><name>__proto__</name><value><struct><member><name>polluted</name><value>yes</value></member></struct></value></member></struct>"));
    assert.equal(a.status, 200);
    assert.match(a.text, /<name>__proto__<\/name>/);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });
});
