/**
 * A real nats-server for the NATS transport's tests: started on a free loopback port with
 * JetStream in a temporary directory, stopped (and its directory removed) by the test. A
 * machine without nats-server skips those tests with a loud reason; CI (CI=true) never skips.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { connect as tcpConnect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before } from "node:test";
import { freePort } from "./ports.js";
import { spawnTs, type TestProcess } from "./processes.js";

/** How long an instance may take to join: several compile and start at once on a machine that may be busy. */
const JOIN_MS = 60_000;

/**
 * Starts `count` processes of test/fixtures/nats/instance.ts serving `serviceUrl` (with
 * `nats.heartbeatMs` when given); resolves once each has joined.
 */
export function startInstances(serviceUrl: string, count: number, heartbeatMs?: number): Promise<TestProcess[]> {
  const args = heartbeatMs === undefined ? [serviceUrl] : [serviceUrl, String(heartbeatMs)];
  return joined(Array.from({ length: count }, () => spawnTs("test/fixtures/nats/instance.ts", args)));
}

/**
 * Resolves with `instances` once each printed "listening". When one does not, all are ended
 * before the rejection, so no process outlives the test and keeps its file from finishing.
 */
export async function joined(instances: TestProcess[]): Promise<TestProcess[]> {
  try {
    await Promise.all(instances.map((p) => p.nextLine(/^listening/, JOIN_MS)));
  } catch (err) {
    await Promise.all(instances.map((p) => p.stop()));
    throw err;
  }
  return instances;
}

/** Debian installs it in /usr/sbin, which is not on every user's PATH. */
const CANDIDATES = ["nats-server", "/usr/sbin/nats-server", "/usr/local/bin/nats-server"];

function natsServerBinary(): string | undefined {
  for (const bin of CANDIDATES) {
    if (bin.startsWith("/") && !existsSync(bin)) continue;
    const probe = spawnSync(bin, ["--version"], { encoding: "utf8", timeout: 15_000 });
    if (!probe.error && probe.status === 0) return bin;
  }
  return undefined;
}

const binary = natsServerBinary();

/** Why nats-server cannot run here, or undefined when it can; throws when CI=true and it cannot. */
export function natsServerMissing(what: string): string | undefined {
  if (binary) return undefined;
  const missing = `nats-server is not installed (apt-get install nats-server)`;
  if (process.env.CI === "true") throw new Error(`${missing}. ${what} are never skipped in CI: .ci/run installs it.`);
  console.warn(`\n*** SKIPPING ${what.toUpperCase()}: ${missing} ***\n`);
  return missing;
}

export interface NatsServerOptions {
  user?: string;
  pass?: string;
  token?: string;
  /** @default true */
  jetstream?: boolean;
  /** The client port, when it must be known before the server starts (a cluster's routes); free port otherwise. */
  port?: number;
  /** More command-line arguments (cluster and route flags). */
  extraArgs?: string[];
}

/** A running nats-server. */
export interface NatsServer {
  /** `nats://127.0.0.1:PORT`. */
  readonly url: string;
  readonly port: number;
  /** Kills it (SIGKILL) and removes its JetStream directory. */
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

/** Starts nats-server on a free loopback port; resolves once it accepts connections. */
export async function startNatsServer(options: NatsServerOptions = {}): Promise<NatsServer> {
  if (!binary) throw new Error("nats-server is not installed");
  const port = options.port ?? (await freePort());
  const dir = await mkdtemp(join(tmpdir(), "farcall-nats-"));
  const args = ["-a", "127.0.0.1", "-p", String(port), ...(options.extraArgs ?? [])];
  if (options.jetstream !== false) args.push("-js", "-sd", dir);
  if (options.user !== undefined) args.push("--user", options.user, "--pass", options.pass ?? "");
  if (options.token !== undefined) args.push("--auth", options.token);
  const child = spawn(binary, args, { stdio: ["ignore", "ignore", "pipe"] });
  running.add(child);
  let log = "";
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (log = (log + chunk).slice(-4096)));
  const exited = new Promise<void>((resolve) => child.once("exit", () => (running.delete(child), resolve())));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGKILL");
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 10_000;
  while (!(await accepts(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`nats-server on port ${port} did not start: ${log}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return { url: `nats://127.0.0.1:${port}`, port, stop };
}

/**
 * `size` nats-servers on loopback joined into one cluster: each listens for routes on its
 * own port and names every other node's route port, so the cluster forms whichever node
 * starts first. Resolves once every node accepts clients; the routes may still be forming
 * (NATS gives no event for that: wait for a call through one node to reach another).
 */
export async function startNatsCluster(size: number): Promise<NatsServer[]> {
  const nodes = await Promise.all(Array.from({ length: size }, async () => ({ port: await freePort(), route: await freePort() })));
  const routeUrl = (route: number): string => `nats://127.0.0.1:${route}`;
  const started = await Promise.allSettled(
    nodes.map(({ port, route }, i) =>
      startNatsServer({
        jetstream: false,
        port,
        extraArgs: [
          "--name", `farcall-node-${i}`,
          "--cluster_name", "farcall-test",
          "--cluster", routeUrl(route),
          "--routes", nodes.filter((other) => other.route !== route).map((other) => routeUrl(other.route)).join(","),
        ],
      }),
    ),
  );
  const servers = started.flatMap((s) => (s.status === "fulfilled" ? [s.value] : []));
  const failed = started.find((s): s is PromiseRejectedResult => s.status === "rejected");
  if (failed) {
    await Promise.all(servers.map((s) => s.stop()));
    throw failed.reason;
  }
  return servers;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect(port, "127.0.0.1");
    socket.once("connect", () => (socket.destroy(), resolve(true)));
    socket.once("error", () => resolve(false));
  });
}

/** The nats-server of one describe(), and the instance processes its tests start. */
export interface NatsSuite {
  /** `nats://127.0.0.1:PORT`, once started. */
  readonly url: string;
  /** Processes to end after the suite: tests push the instances they start. */
  readonly started: TestProcess[];
}

/** Starts nats-server before the tests of the calling describe() and ends it, and every process in `started`, after them. */
export function natsForSuite(options: NatsServerOptions = { jetstream: false }): NatsSuite {
  let server: NatsServer | undefined;
  const started: TestProcess[] = [];
  before(async () => {
    server = await startNatsServer(options);
  });
  after(async () => {
    await Promise.all(started.map((p) => p.stop()));
    await server?.stop();
  });
  return {
    get url() {
      if (!server) throw new Error("nats-server is not started yet");
      return server.url;
    },
    started,
  };
}
