/**
 * The finishing pass over a decoded value, run only when the decode loop could not finish
 * the job alone:
 *
 * - A dict first decodes as a plain object; when a key that is not a str arrives, its
 *   entries move to a Map. References to the old object already taken through the memo
 *   (shared or cyclic values) are swapped for the Map here.
 * - The loop tracks nesting depth exactly for trees, but once the memo or DUP hands out a
 *   second reference to a container, that container can grow after it was nested. The true
 *   depth is then measured here, following each container once (a cycle's back edge is
 *   not followed), so a crafted graph cannot nest deeper than the limit.
 *
 * Containers are arrays, Maps, Sets and plain objects (dicts and records); anything else
 * (bytes, a factory's class instance) is a leaf. The recursion is bounded by maxDepth.
 */
import { RpcError } from "../../core/errors.js";

/**
 * The largest maxDepth the pickle codec accepts: this pass and the encoder recurse once per
 * level, and must stay far from the engine's call-stack limit.
 */
export const MAX_DEPTH_LIMIT = 1000;

interface Walk {
  readonly replacements: ReadonlyMap<object, unknown> | undefined;
  readonly maxDepth: number;
  /** Height of each container already measured: a shared container is walked once. */
  readonly heights: Map<object, number>;
  /** Containers on the current path: meeting one again is a cycle. */
  readonly onPath: Set<object>;
}

export function tooDeep(maxDepth: number): RpcError {
  return new RpcError("RESOURCE_EXHAUSTED", `pickle nests deeper than maxDepth ${maxDepth}`);
}

function isContainer(value: unknown): value is object {
  if (typeof value !== "object" || value === null) return false;
  if (Array.isArray(value) || value instanceof Map || value instanceof Set) return true;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function swapped(walk: Walk, value: unknown): unknown {
  if (walk.replacements === undefined || typeof value !== "object" || value === null) return value;
  return walk.replacements.has(value) ? walk.replacements.get(value) : value;
}

/** Swaps replaced values inside a Map or Set in place, keeping their order. */
function swapEntries(walk: Walk, node: Map<unknown, unknown> | Set<unknown>): void {
  if (walk.replacements === undefined) return;
  if (node instanceof Map) {
    let changed = false;
    for (const [k, v] of node) if (swapped(walk, k) !== k || swapped(walk, v) !== v) changed = true;
    if (!changed) return;
    const entries = [...node];
    node.clear();
    for (const [k, v] of entries) node.set(swapped(walk, k), swapped(walk, v));
  } else {
    let changed = false;
    for (const v of node) if (swapped(walk, v) !== v) changed = true;
    if (!changed) return;
    const values = [...node];
    node.clear();
    for (const v of values) node.add(swapped(walk, v));
  }
}

/** Height of `node` (1 for a container of leaves), nested at `level` (the root is 1). */
function visit(walk: Walk, node: object, level: number): number {
  if (level > walk.maxDepth) throw tooDeep(walk.maxDepth);
  const known = walk.heights.get(node);
  if (known !== undefined) {
    if (level + known - 1 > walk.maxDepth) throw tooDeep(walk.maxDepth);
    return known;
  }
  if (walk.onPath.has(node)) return 0;
  walk.onPath.add(node);
  let below = 0;
  if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i++) {
      const v = swapped(walk, node[i]);
      if (v !== node[i]) node[i] = v;
      if (isContainer(v)) below = Math.max(below, visit(walk, v, level + 1));
    }
  } else if (node instanceof Map) {
    swapEntries(walk, node);
    for (const [k, v] of node) {
      if (isContainer(k)) below = Math.max(below, visit(walk, k, level + 1));
      if (isContainer(v)) below = Math.max(below, visit(walk, v, level + 1));
    }
  } else if (node instanceof Set) {
    swapEntries(walk, node);
    for (const v of node) if (isContainer(v)) below = Math.max(below, visit(walk, v, level + 1));
  } else {
    const record = node as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      const v = swapped(walk, record[key]);
      if (v !== record[key]) Object.defineProperty(record, key, { value: v, writable: true, enumerable: true, configurable: true });
      if (isContainer(v)) below = Math.max(below, visit(walk, v, level + 1));
    }
  }
  walk.onPath.delete(node);
  walk.heights.set(node, below + 1);
  return below + 1;
}

/**
 * `root` with every replaced dict swapped for its Map, after checking that no path through
 * it nests deeper than `maxDepth`.
 */
export function finishGraph(root: unknown, replacements: ReadonlyMap<object, unknown> | undefined, maxDepth: number): unknown {
  const walk: Walk = { replacements, maxDepth, heights: new Map(), onPath: new Set() };
  const top = swapped(walk, root);
  if (isContainer(top)) visit(walk, top, 1);
  return top;
}
