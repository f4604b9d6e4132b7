/**
 * The safe pickle subset, for Python's multiprocessing manager protocol: plain data both
 * ways, plus the globals a caller allows by exact name on the way in. No pickle decoded here
 * can import, call or build anything outside that list.
 *
 * @example
 * const globals = recordGlobals(["multiprocessing.managers.Token", "multiprocessing.managers.RemoteError"]);
 * decodePickle(frame, { globals });            // ["#RETURN", { __class__: "...Token", args: [], state: [...] }]
 * encodePickle(pickleTuple("#RETURN", 10));    // what a Python 3.8+ peer reads
 */
export { decodePickle, MAX_LONG_BYTES, PICKLE_DECODE_DEFAULTS, type PickleDecodeOptions } from "./decode.js";
export { encodePickle, PICKLE_ENCODE_DEFAULTS, type PickleEncodeOptions } from "./encode.js";
export { MAX_INT_DIGITS } from "./scalars.js";
export {
  PickleGlobal, PickleGlobalRef, PickleNativeStr, PickleTuple, pickleRecord, pickleTuple, recordGlobals,
  type PickleFactory, type PickleGlobalInit, type PickleGlobals, type PickleRecord,
} from "./values.js";
