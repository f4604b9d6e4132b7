/**
 * What `farcall serve` prints once it listens: where, and for the embedded default service,
 * how to call it, so a newcomer can try farcall before writing a line.
 */

/** One `listening on URL` line per bound address (tests and scripts read these). */
export function listeningLines(addresses: readonly string[]): string[] {
  return addresses.map((address) => `listening on ${address}`);
}

/** How to call the default service at `address`, from the shell and from TypeScript. */
export function demoUsageLines(address: string, withAuthkey: boolean): string[] {
  const key = withAuthkey ? "FARCALL_AUTHKEY=… " : "";
  const option = withAuthkey ? ', { authkey: process.env.FARCALL_AUTHKEY }' : "";
  return [
    "",
    "This is farcall's demo service: a key-value store, counters and an account.",
    "Try it from another terminal:",
    `  ${key}farcall list ${address}`,
    `  ${key}farcall call ${address} put '"greeting"' '"hello"'`,
    `  ${key}farcall call ${address} get '"greeting"'`,
    `  ${key}farcall call ${address} counter.inc views --raw`,
    `  ${key}farcall call ${address} account.withdraw 100      # fails: INSUFFICIENT_FUNDS`,
    "Or from TypeScript:",
    '  import { connect, close } from "farcall";',
    "  type Demo = { counter: { inc(name: string): number } }; // the part of the API you call",
    `  const remote = await connect<Demo>("${address}"${option});`,
    '  console.log(await remote.counter.inc("views"));',
    "  await close(remote);",
    "Press Ctrl-C to stop.",
    "",
  ];
}

/**
 * How Python's manager clients reach the demo's pymanager:// listener at `address`: with
 * `seedKey` when that is the key (the seeds' own, so printing it gives nothing away), else
 * with the key the operator chose, which is never printed.
 */
export function pymanagerUsageLines(address: string, seedKey: string | undefined): string[] {
  const { hostname, port } = new URL(address);
  const key = seedKey === undefined ? "the key in --authkey or FARCALL_AUTHKEY" : `the key ${JSON.stringify(seedKey)}`;
  return [
    `Python's manager clients (multiprocessing.managers) connect to ${hostname}:${port} with ${key}:`,
    `  python3 manager_kv_client.py ${hostname} ${port}`,
    "",
  ];
}

/**
 * The listening addresses other machines may reach: where serving without a key deserves a
 * warning. Loopback hosts and Unix sockets are this machine's only; a nats:// service is
 * reached through the NATS server's own accounts.
 */
export function beyondLoopback(addresses: readonly string[]): string[] {
  return addresses.filter((url) => {
    if (/^(unix|nats):/i.test(url)) return false;
    let host: string;
    try {
      host = new URL(url).hostname.replace(/^\[|\]$/g, "");
    } catch {
      return true; // an address we cannot read is not known to be local
    }
    return !(host === "localhost" || host === "::1" || host.startsWith("127."));
  });
}
