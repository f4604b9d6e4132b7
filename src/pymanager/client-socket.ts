/**
 * One client socket to a Python manager server: dial, answer the server's challenge, then
 * challenge it back (connection.py `Client` order), then strictly one request, one reply.
 * Header and payload go out in one write with TCP_NODELAY, so Python's server never sits
 * on a request waiting for a delayed ACK.
 */
import type { Socket } from "node:net";
import { RpcError } from "../core/errors.js";
import type { StreamAddress } from "../net/address.js";
import { answerChallenge, FAILURE, HANDSHAKE_FRAME_BYTES, isWelcome, makeChallenge, verifyResponse, WELCOME } from "./auth.js";
import { PyFrameReader, pyFrame } from "./framing.js";
import { dialStream } from "../net/tcp.js";

/** Limits of one client socket. */
export interface PyDialLimits {
  /** Largest reply frame accepted, checked before its body is kept. */
  maxFrameBytes: number;
  /** Time to connect and finish the mutual challenge. */
  handshakeTimeoutMs: number;
  /** Time to wait for one reply. */
  callTimeoutMs: number;
}

/** An authenticated socket to a manager server. */
export class PyClientSocket {
  private pending: { resolve: (frame: Buffer) => void; reject: (error: RpcError) => void } | undefined;
  private failure: RpcError | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly socket: Socket, private readonly reader: PyFrameReader, private readonly limits: PyDialLimits) {}

  /** True once the socket can carry no more requests. */
  get closed(): boolean {
    return this.failure !== undefined;
  }

  /** Sends one request frame; resolves with the reply frame's body. One at a time. */
  request(payload: Uint8Array): Promise<Buffer> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.pending) return Promise.reject(new RpcError("INTERNAL", "a manager connection carries one request at a time"));
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.timer = setTimeout(() => this.fail(new RpcError("DEADLINE_EXCEEDED", `no reply within ${this.limits.callTimeoutMs} ms`)), this.limits.callTimeoutMs);
      this.socket.write(pyFrame(payload));
    });
  }

  close(): void {
    this.fail(new RpcError("UNAVAILABLE", "the connection was closed"));
  }

  /** @internal the reader's frame callback after the handshake. */
  onReply(body: Buffer): void {
    const pending = this.pending;
    this.pending = undefined;
    clearTimeout(this.timer);
    // The body is a view of a buffer the reader may reuse: the caller gets a copy.
    pending?.resolve(Buffer.from(body));
  }

  /** @internal */
  fail(error: RpcError): void {
    if (this.failure === undefined) this.failure = error;
    clearTimeout(this.timer);
    this.reader.stop();
    this.socket.destroy();
    const pending = this.pending;
    this.pending = undefined;
    pending?.reject(error);
  }
}

const enum Step { AwaitChallenge, AwaitVerdict, AwaitResponse, Ready }

/** Dials `address` and runs the handshake; rejects UNAUTHENTICATED on a wrong key, UNAVAILABLE otherwise. */
export async function dialPyManager(address: StreamAddress, key: Uint8Array, limits: PyDialLimits): Promise<PyClientSocket> {
  const socket = await dialStream(address, undefined, limits.handshakeTimeoutMs);
  return new Promise<PyClientSocket>((resolve, reject) => {
    let step = Step.AwaitChallenge;
    const ours = makeChallenge();
    let client: PyClientSocket | undefined = undefined;
    const failHandshake = (error: RpcError): void => {
      clearTimeout(timer);
      reader.stop();
      socket.destroy();
      reject(error);
    };
    const reader = new PyFrameReader(HANDSHAKE_FRAME_BYTES, "the handshake frame limit", (body) => {
      if (client) return client.onReply(body);
      switch (step) {
        case Step.AwaitChallenge: {
          const answer = answerChallenge(key, body);
          if (answer === undefined) return failHandshake(new RpcError("UNAVAILABLE", "the server did not send a manager challenge"));
          socket.write(pyFrame(answer));
          step = Step.AwaitVerdict;
          return;
        }
        case Step.AwaitVerdict:
          if (!isWelcome(body)) return failHandshake(new RpcError("UNAUTHENTICATED", "the manager server rejected our authkey"));
          socket.write(pyFrame(ours.frame));
          step = Step.AwaitResponse;
          return;
        case Step.AwaitResponse:
          if (!verifyResponse(key, ours.message, body)) {
            socket.write(pyFrame(FAILURE));
            return failHandshake(new RpcError("UNAUTHENTICATED", "the manager server does not hold our authkey"));
          }
          socket.write(pyFrame(WELCOME));
          clearTimeout(timer);
          reader.setLimit(limits.maxFrameBytes, "maxFrameBytes");
          client = new PyClientSocket(socket, reader, limits);
          step = Step.Ready;
          resolve(client);
          return;
        default:
          return;
      }
    }, (error) => (client ? client.fail(error) : failHandshake(error)));
    const timer = setTimeout(() => failHandshake(new RpcError("UNAVAILABLE", `no manager handshake within ${limits.handshakeTimeoutMs} ms`)), limits.handshakeTimeoutMs);
    socket.on("data", (chunk: Buffer) => reader.push(chunk));
    socket.on("error", () => socket.destroy()); // 'close' follows
    socket.on("close", () => {
      const error = new RpcError("UNAVAILABLE", "the manager server closed the connection");
      if (client) client.fail(error);
      else failHandshake(step === Step.AwaitVerdict ? new RpcError("UNAUTHENTICATED", "the manager server rejected our authkey") : error);
    });
  });
}
