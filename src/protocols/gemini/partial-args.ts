import type { GeminiPartialArg } from './types.ts';

type Container = Record<string, unknown> | unknown[];

/** One step of an RFC 9535 path: `.name`, `[0]`, `['name']` or `["name"]`. */
const SEGMENT = /\.([^.[\]]+)|\[(\d+)\]|\['((?:[^'\\]|\\.)*)'\]|\["((?:[^"\\]|\\.)*)"\]/y;

/**
 * Vertex streams function-call arguments as `partialArgs`: a value per JSON path, strings
 * possibly in several pieces. Writes one into the arguments being assembled; a path
 * llm-mux cannot read is skipped rather than failing the stream.
 */
export function applyPartialArg(args: Record<string, unknown>, arg: GeminiPartialArg): void {
  const path = parsePath(arg.jsonPath);
  const value = arg.stringValue ?? arg.numberValue ?? arg.boolValue ?? (arg.nullValue !== undefined ? null : undefined);
  if (!path || path.length === 0 || value === undefined) return;
  let container: Container = args;
  for (let i = 0; i < path.length - 1; i++) {
    const key = path[i]!;
    const existing = read(container, key);
    const next: Container = existing !== null && typeof existing === 'object' ? (existing as Container) : typeof path[i + 1] === 'number' ? [] : {};
    if (next !== existing) write(container, key, next);
    container = next;
  }
  const leaf = path.at(-1)!;
  const previous = read(container, leaf);
  // A string continues where its last piece ended.
  write(container, leaf, typeof value === 'string' && typeof previous === 'string' ? previous + value : value);
}

function parsePath(path: string | undefined): Array<string | number> | undefined {
  if (!path?.startsWith('$')) return undefined;
  const segments: Array<string | number> = [];
  SEGMENT.lastIndex = 1;
  while (SEGMENT.lastIndex < path.length) {
    const match = SEGMENT.exec(path);
    if (!match) return undefined;
    const [, name, index, single, double] = match;
    if (index !== undefined) segments.push(Number(index));
    else segments.push(name ?? (single ?? double ?? '').replace(/\\(.)/g, '$1'));
  }
  return segments;
}

function read(container: Container, key: string | number): unknown {
  return Object.hasOwn(container, key) ? (container as Record<string | number, unknown>)[key] : undefined;
}

/** defineProperty, so that a `__proto__` path is a plain key, not the prototype. */
function write(container: Container, key: string | number, value: unknown): void {
  Object.defineProperty(container, key, { value, enumerable: true, writable: true, configurable: true });
}
