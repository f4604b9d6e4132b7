/** The HMAC of farcall/1's handshake on Node: node:crypto, synchronous. */
import { proof } from "../net/hmac.js";
import type { ProofSigner } from "./handshake-dialer.js";

export const nodeSigner: ProofSigner = { sign: proof };
