/**
 * farcall/1's byte arrays in MessagePack: a Uint8Array as extension 5 and a Buffer as
 * extension 6, each with its bytes as the raw payload (registered with msgpackr on import).
 */
import { addExtension } from "msgpackr";
import { EXT_BUFFER, EXT_UINT8ARRAY } from "./msgpack-limits.js";
import { packBytes, type AllocateForWrite } from "./msgpack-split.js";

/**
 * Byte arrays below this size are copied out of the received frame; larger ones are views of
 * it. A view saves copying megabytes, but a small view would keep a whole socket read
 * buffer alive for as long as the application holds it.
 */
const COPY_BYTES_BELOW = 4096;

function bytesOf(view: Uint8Array): Uint8Array {
  return view.byteLength < COPY_BYTES_BELOW ? new Uint8Array(view) : new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

/** addExtension's argument: its declared type omits the hook packBytes takes. */
type Extension = Parameters<typeof addExtension>[0];

// Bytes travel as raw extension payloads: one copy on each side instead of the typed-array
// extension's two or three. Buffer (Node only) is registered last so it is matched first:
// it is also a Uint8Array.
addExtension({
  Class: Uint8Array,
  type: EXT_UINT8ARRAY,
  pack: (bytes: Uint8Array, allocateForWrite?: AllocateForWrite) => packBytes(bytes, EXT_UINT8ARRAY, allocateForWrite),
  unpack: (view: Uint8Array) => bytesOf(view),
} as Extension);
if (typeof Buffer === "function") {
  addExtension({
    Class: Buffer,
    type: EXT_BUFFER,
    pack: (bytes: Buffer, allocateForWrite?: AllocateForWrite) => packBytes(bytes, EXT_BUFFER, allocateForWrite),
    unpack: (view: Uint8Array) => {
      const bytes = bytesOf(view);
      return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    },
  } as Extension);
} else {
  // Where Buffer does not exist (a browser), a Node peer's Buffer arrives as the Uint8Array
  // it is a subclass of, as in json-ext; without this the handshake's challenge (a Buffer
  // from the Node server's HMAC module) could not even be read.
  addExtension({ type: EXT_BUFFER, unpack: (view: Uint8Array) => bytesOf(view) });
}
