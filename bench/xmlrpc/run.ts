/**
 * XML-RPC calls/s in one run: farcall's client and Python's xmlrpc.client, each against
 * farcall's server and against Python's threaded SimpleXMLRPCServer (the seed's server).
 * Servers and clients are separate processes on 127.0.0.1; one call of add(1, 2) at a time
 * (and farcall's client also with 16 in flight). Needs python3.
 *
 *   node --import tsx bench/xmlrpc/run.ts [--seconds=3]
 */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

const HERE = fileURLToPath(new URL(".", import.meta.url));
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const seconds = Number(process.argv.find((a) => a.startsWith("--seconds="))?.slice(10) ?? process.env.BENCH_SECONDS ?? 3);

function start(cmd: string, args: string[]): { child: ChildProcess; url: Promise<string> } {
  const child = spawn(cmd, args, { cwd: ROOT, stdio: ["pipe", "pipe", "inherit"] });
  const url = new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout!.setEncoding("utf8").on("data", (d: string) => {
      out += d;
      const m = /listening (\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once("exit", (code) => reject(new Error(`${cmd} ${args.join(" ")} exited (${code}) before listening`)));
  });
  return { child, url };
}

function run(cmd: string, args: string[]): Promise<{ calls: number; seconds: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
    child.once("exit", (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`${cmd} ${args.join(" ")} exited ${code}`))));
  });
}

const farcallServer = start(process.execPath, ["--import", "tsx", `${HERE}farcall-server.ts`]);
const pythonServer = start("python3", [`${HERE}python_server.py`]);
try {
  const servers = { "farcall serve()": await farcallServer.url, "Python SimpleXMLRPCServer (threaded)": await pythonServer.url };
  const rows: string[] = [];
  for (const [serverName, url] of Object.entries(servers)) {
    const clients: [string, () => Promise<{ calls: number; seconds: number }>][] = [
      ["farcall connect(), 1 in flight", () => run(process.execPath, ["--import", "tsx", `${HERE}farcall-client.ts`, url, String(seconds), "1"])],
      ["farcall connect(), 16 in flight", () => run(process.execPath, ["--import", "tsx", `${HERE}farcall-client.ts`, url, String(seconds), "16"])],
      ["Python xmlrpc.client ServerProxy", () => run("python3", [`${HERE}python_client.py`, url, String(seconds)])],
    ];
    for (const [clientName, measure] of clients) {
      const { calls, seconds: took } = await measure();
      rows.push(`| ${clientName} | ${serverName} | ${Math.round(calls / took).toLocaleString("en-US")} |`);
    }
  }
  console.log(`XML-RPC add(1, 2), ${seconds} s per measurement\n\n| client | server | calls/s |\n|---|---|---|\n${rows.join("\n")}`);
} finally {
  farcallServer.child.stdin!.end();
  pythonServer.child.kill();
}
