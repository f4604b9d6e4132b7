/**
 * The floor client: the workloads as raw framed requests over one node:net connection.
 */
import { connect } from "node:net";
import { runClient } from "../client-main.js";
import { checkEcho, checkStreamItem, makePayload, throughput, type Drivers } from "../drivers.js";
import { COUNTER_KEY, type Job, type WorkloadResult } from "../jobs.js";
import { CpuWindow } from "../cpu.js";
import { latencySummary } from "../stats.js";
import { FloorConnection, type CallSpec, type StreamSpec } from "./loops.js";
import { OP, writeAdd, writeEcho, writeKeyOp, writeStop, writeStream } from "./protocol.js";

function addSpec(conn: FloorConnection): CallSpec {
  return {
    send: () => writeAdd(conn.socket, 1, 2),
    check: (reply) => {
      if (reply.length !== 4 || reply.readInt32BE(0) !== 3) throw new Error("floor: add(1, 2) returned a wrong reply");
    },
  };
}

async function sequentialAdd(conn: FloorConnection, job: Job): Promise<WorkloadResult> {
  const spec = addSpec(conn);
  await conn.sequential(spec, job.warmupMs, job.warmupCalls);
  const latencies = new Float64Array(job.maxCalls);
  const cpu = new CpuWindow(job.serverPid);
  const { calls, seconds } = await conn.sequential(spec, job.durationMs, job.maxCalls, latencies);
  return { ...throughput(calls, seconds), ...latencySummary(latencies.subarray(0, calls)), ...cpu.perCall(calls) };
}

async function pipelinedAdd(conn: FloorConnection, job: Job): Promise<WorkloadResult> {
  const spec = addSpec(conn);
  await conn.pipelined(spec, job.inFlight, job.warmupMs, job.warmupCalls);
  const cpu = new CpuWindow(job.serverPid);
  const { calls, seconds } = await conn.pipelined(spec, job.inFlight, job.durationMs, job.maxCalls);
  return { ...throughput(calls, seconds), ...cpu.perCall(calls) };
}

async function echo(conn: FloorConnection, job: Job): Promise<WorkloadResult> {
  const payload = makePayload(job.payloadBytes);
  const spec: CallSpec = {
    send: () => writeEcho(conn.socket, payload),
    check: (reply) => checkEcho(payload, reply),
  };
  await conn.sequential(spec, job.warmupMs, job.warmupCalls);
  const cpu = new CpuWindow(job.serverPid);
  const { calls, seconds } = await conn.sequential(spec, job.durationMs, job.maxCalls);
  return { ...throughput(calls, seconds, 2 * job.payloadBytes), ...cpu.perCall(calls) };
}

/** Even calls are get, odd calls are inc, as the origin workload alternates them. */
async function counter(conn: FloorConnection, job: Job): Promise<WorkloadResult> {
  const spec: CallSpec = {
    send: (i) => writeKeyOp(conn.socket, i % 2 === 0 ? OP.get : OP.inc, COUNTER_KEY),
    check: (reply, i) => {
      if (reply.length !== (i % 2 === 0 ? 8 : 0)) throw new Error(`floor: ${i % 2 === 0 ? "get" : "inc"} returned ${reply.length} B`);
    },
  };
  const { calls, seconds } = await conn.sequential(spec, job.durationMs, 2 * job.iterations);
  return { ...throughput(calls, seconds), complete: calls === 2 * job.iterations };
}

async function stream(conn: FloorConnection, job: Job): Promise<WorkloadResult> {
  const chunk = job.chunkBytes > 0 ? makePayload(job.chunkBytes) : undefined;
  const spec: StreamSpec = {
    open: (n) => writeStream(conn.socket, n, job.chunkBytes),
    stop: () => writeStop(conn.socket),
    check: chunk
      ? (item, i) => checkStreamItem(item, i, chunk)
      : (item, i) => {
          if (item.length !== 4) throw new Error(`floor: stream item ${i} has ${item.length} B`);
          checkStreamItem(item.readInt32BE(0), i, undefined);
        },
  };
  await conn.streams(spec, job.streamItems, job.warmupMs, job.warmupCalls);
  const { calls, seconds } = await conn.streams(spec, job.streamItems, job.durationMs, job.maxCalls);
  return throughput(calls, seconds, job.chunkBytes);
}

async function readCounter(conn: FloorConnection): Promise<number> {
  let value = NaN;
  const spec: CallSpec = {
    send: () => writeKeyOp(conn.socket, OP.get, COUNTER_KEY),
    check: (reply) => {
      value = reply.readDoubleBE(0);
    },
  };
  await conn.sequential(spec, 10_000, 1);
  return value;
}

function open(port: number): Promise<Drivers> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port, noDelay: true });
    socket.once("error", reject);
    socket.once("connect", () => {
      socket.off("error", reject);
      const conn = new FloorConnection(socket);
      resolve({
        sequentialAdd: (job) => sequentialAdd(conn, job),
        pipelinedAdd: (job) => pipelinedAdd(conn, job),
        echo: (job) => echo(conn, job),
        counter: (job) => counter(conn, job),
        readCounter: () => readCounter(conn),
        stream: (job) => stream(conn, job),
        close: async () => conn.close(),
      });
    });
  });
}

runClient(open);
