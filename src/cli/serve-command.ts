/**
 * `farcall serve [module]`: serves a module's exports, or the embedded demo service, until
 * SIGINT or SIGTERM, then closes gracefully (calls in flight get time to finish).
 */
import { SERVE_DEFAULTS, serve, type Server } from "../index.js";
import { createDemoService } from "../demo/service.js";
import { memoryState, type DemoState } from "../demo/store-backend.js";
import { openNatsState } from "../demo/store-nats.js";
import { AUTHKEY_OPTION, COMMON_OPTIONS, parseCommandLine, resolveAuthkey } from "./arguments.js";
import { openCallLogFile, type CallLogFile } from "./call-log-file.js";
import { CliError, EXIT } from "./cli-error.js";
import { loadModule, pickExport } from "./load-module.js";
import { isNatsUrl } from "../nats/address.js";
import { serverTls, TLS_OPTIONS, TLS_USAGE } from "./tls-files.js";
import { beyondLoopback, demoUsageLines, listeningLines, pymanagerUsageLines } from "./serve-banner.js";
import { demoListeners, parseDemoPorts, SEED_AUTHKEY } from "./demo-listeners.js";

/** Time calls in flight get to finish after SIGINT/SIGTERM. */
const DRAIN_MS = 5000;

/** `farcall serve --help`. */
export const SERVE_USAGE = `Usage: farcall serve [module] [options]

Serves the exports of a module (.js, .mjs or .ts) so other processes can call them.
Without a module, serves the embedded demo service (key-value store, counters, account).

What is served: the export named by --export; otherwise the default export when it is the
module's only export; otherwise every export of the module, each under its own name.
TypeScript modules need Node's type stripping or the "tsx" package.

Options:
  --listen URL     where to listen; repeat for several (default ${SERVE_DEFAULTS.listen};
                   for the demo service, tcp://127.0.0.1:4343 and, for Python's
                   manager clients, pymanager://127.0.0.1:4344 with the key
                   "${SEED_AUTHKEY}" unless --authkey or $FARCALL_AUTHKEY gives one)
                   tcp://HOST:PORT, tls://HOST:PORT, unix:///PATH.sock (every protocol
                   that can share a port, WebSocket upgrades included), ws://HOST:PORT
                   or wss://HOST:PORT (WebSocket alone), http://HOST:PORT/PATH for
                   JSON-RPC and XML-RPC over HTTP, pymanager://HOST:PORT for Python's
                   manager clients; port 0 picks a free port;
                   nats://HOST:PORT/SERVICE to join a service on NATS (start as many
                   instances as needed: NATS spreads the calls among them)
  --store URL      where the demo service keeps its keys, counters and queue:
                   nats://HOST:PORT/BUCKET for a NATS JetStream key-value bucket (and
                   the work-queue stream BUCKET_queue) shared by every instance
                   (default: process memory)
  --queue-maxsize N  the demo queue's bound, as Python's Queue(maxsize): a put waits
                   for room beyond N items (default 0, no bound; every instance of
                   one --store must give the same)
  --demo-ports T,P the demo's two ports when no --listen is given (default 4343,4344;
                   0 picks a free port)
  --authkey KEY    shared secret clients must prove they hold (default: $FARCALL_AUTHKEY)
  --export NAME    serve this export of the module
  --log FILE       append one JSON line per call to FILE (time, method, durationMs,
                   outcome "ok" or the error code, caller, protocol); default: no call log
${TLS_USAGE.server}
  -h, --help       show this help

Prints one "listening on URL" line per address. Ctrl-C (SIGINT) or SIGTERM lets calls in
flight finish for up to ${DRAIN_MS / 1000} s, then exits.
Exit status: 0 after a clean shutdown, 2 for bad usage, a module that cannot be loaded or
an address that cannot be bound.`;

/** Runs `farcall serve` with the arguments after "serve"; resolves once it listens. */
export async function serveCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseCommandLine("serve", argv, {
    ...COMMON_OPTIONS,
    ...AUTHKEY_OPTION,
    listen: { type: "string", multiple: true },
    export: { type: "string" },
    log: { type: "string" },
    store: { type: "string" },
    "queue-maxsize": { type: "string" },
    "demo-ports": { type: "string" },
    ...TLS_OPTIONS,
  });
  if (values.help) {
    process.stdout.write(`${SERVE_USAGE}\n`);
    return;
  }
  if (positionals.length > 1) throw new CliError(`serve takes one module, got ${positionals.length}\nRun "farcall serve --help" for usage.`);
  const file = positionals[0];
  if (file === undefined && values.export !== undefined) throw new CliError("--export needs a module to pick the export from");
  if (file !== undefined && (values.store !== undefined || values["queue-maxsize"] !== undefined)) throw new CliError("--store and --queue-maxsize are for the demo service; a module keeps its own state");
  if (values["demo-ports"] !== undefined && (file !== undefined || values.listen !== undefined)) {
    throw new CliError("--demo-ports is for the demo service's default listeners; with --listen or a module, give the addresses with --listen");
  }

  const state = await openStore(values.store, parseQueueMaxsize(values["queue-maxsize"]));
  const api = file === undefined ? createDemoService(state) : pickExport(await loadModule(file), file, values.export);
  const authkey = resolveAuthkey(values.authkey);
  const demoLayout = file === undefined && values.listen === undefined;
  const listen = demoLayout ? demoListeners(authkey, parseDemoPorts(values["demo-ports"])) : (values.listen ?? [SERVE_DEFAULTS.listen]);
  const tls = serverTls(values);
  const callLog = values.log !== undefined ? openCallLogFile(values.log) : undefined;

  let server: Server;
  try {
    server = await serve(api, { listen, ...(authkey !== undefined ? { authkey } : {}), ...(tls ? { tls } : {}), ...(callLog ? { callLog: callLog.log } : {}) });
  } catch (err) {
    await callLog?.close();
    await state.close();
    const where = listen.map((entry) => (typeof entry === "string" ? entry : entry.url)).join(", ");
    throw new CliError(`cannot serve on ${where}: ${err instanceof Error ? err.message : String(err)}`);
  }

  // Before anything is printed: whoever reads the address may signal us right away.
  stopOnSignals(server, callLog, state);
  const out = listeningLines(server.addresses);
  if (file === undefined) out.push(...demoUsageLines(server.addresses[0] ?? SERVE_DEFAULTS.listen, authkey !== undefined));
  if (demoLayout) out.push(...pymanagerUsageLines(server.addresses[1]!, authkey === undefined ? SEED_AUTHKEY : undefined));
  process.stdout.write(`${out.join("\n")}\n`);
  // The demo layout's pymanager:// listener has the seeds' key.
  const exposed = authkey === undefined ? beyondLoopback(demoLayout ? server.addresses.slice(0, 1) : server.addresses) : [];
  if (exposed.length > 0) {
    process.stderr.write(`farcall: warning: no authkey: every process that can reach ${exposed.join(", ")} can call every method (use --authkey or FARCALL_AUTHKEY)\n`);
  }
}

/** First SIGINT/SIGTERM: drain and exit 0. A second one: exit at once. */
function stopOnSignals(server: Server, callLog: CallLogFile | undefined, state: DemoState): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      process.stderr.write(`farcall: ${signal} again, exiting now\n`);
      process.exit(EXIT.INTERRUPTED);
    }
    stopping = true;
    process.stderr.write(`farcall: ${signal}: closing, calls in flight have up to ${DRAIN_MS} ms\n`);
    // The call log is closed after the server, so the calls that drained are in it.
    server.close({ drainMs: DRAIN_MS }).then(() => Promise.all([callLog?.close(), state.close()])).then(
      // exit() rather than waiting for the loop to empty: a served module may hold timers or
      // pools of its own that would keep the process alive after the server is gone.
      () => process.exit(EXIT.OK),
      (err: unknown) => {
        process.stderr.write(`farcall: error while closing: ${err instanceof Error ? err.message : String(err)}\n`);
        process.exit(EXIT.INTERRUPTED);
      },
    );
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

/** `--queue-maxsize`: a whole number of items, 0 for no bound. */
function parseQueueMaxsize(text: string | undefined): number {
  if (text === undefined) return 0;
  const n = /^\d{1,9}$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n)) throw new CliError(`--queue-maxsize takes a whole number of items (0: no bound), got ${JSON.stringify(text)}`);
  return n;
}

/** The demo's state: in memory, or the JetStream bucket `--store` names. */
async function openStore(url: string | undefined, queueMaxsize: number): Promise<DemoState> {
  if (url === undefined) return memoryState({ queueMaxsize });
  if (!isNatsUrl(url)) throw new CliError(`--store takes a nats://HOST:PORT/BUCKET URL, got ${JSON.stringify(url)}`);
  try {
    return await openNatsState(url, {}, undefined, { maxsize: queueMaxsize });
  } catch (err) {
    throw new CliError(`cannot open the store ${url}: ${err instanceof Error ? err.message : String(err)}`);
  }
}
