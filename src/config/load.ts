import { readFile } from 'node:fs/promises';
import { closest, distance } from 'fastest-levenshtein';
import { LineCounter, parseDocument, isMap, isSeq, type Document, type Node as YamlNode } from 'yaml';
import type { z } from 'zod';
import { configSchema, type Config } from './schema.ts';

export interface ConfigIssue {
  file: string;
  line?: number;
  column?: number;
  /** Dotted key path, e.g. `providers.openai.api-keys[0]`. Empty for the whole file. */
  path: string;
  message: string;
}

export class ConfigError extends Error {
  constructor(readonly issues: ConfigIssue[]) {
    super(issues.map(formatIssue).join('\n'));
    this.name = 'ConfigError';
  }
}

export function formatIssue(issue: ConfigIssue): string {
  const where = issue.line ? `${issue.file}:${issue.line}:${issue.column ?? 1}` : issue.file;
  return issue.path ? `${where}: ${issue.path}: ${issue.message}` : `${where}: ${issue.message}`;
}

/** Parses and validates config text. Throws ConfigError listing every problem found. */
export function parseConfig(text: string, file: string): Config {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((error) => {
        const pos = lineCounter.linePos(error.pos[0]);
        return { file, line: pos.line, column: pos.col, path: '', message: firstLine(error.message) };
      }),
    );
  }
  const raw = doc.toJS() ?? {};
  const result = configSchema.safeParse(raw);
  if (result.success) return result.data;
  throw new ConfigError(result.error.issues.flatMap((issue) => describeIssue(issue, doc, lineCounter, file)));
}

export async function loadConfigFile(file: string): Promise<{ config: Config; text: string }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new ConfigError([{ file, path: '', message: 'no config file here; run `llm-mux init` to create one' }]);
    }
    throw error;
  }
  return { config: parseConfig(text, file), text };
}

function describeIssue(
  issue: z.core.$ZodIssue,
  doc: Document,
  lineCounter: LineCounter,
  file: string,
): ConfigIssue[] {
  if (issue.code === 'unrecognized_keys') {
    const known = knownKeysAt(configSchema, issue.path);
    return issue.keys.map((key) => {
      const path = [...issue.path, key];
      const suggestion = suggest(key, known);
      return {
        file,
        ...position(doc, path, lineCounter, true),
        path: formatPath(path),
        message: `unknown key "${key}"${suggestion ? ` (did you mean "${suggestion}"?)` : ''}`,
      };
    });
  }
  return [{ file, ...position(doc, issue.path, lineCounter, false), path: formatPath(issue.path), message: issue.message }];
}

function suggest(key: string, known: string[]): string | undefined {
  if (known.length === 0) return undefined;
  const best = closest(key, known);
  return distance(key, best) <= Math.max(2, Math.floor(key.length / 3)) ? best : undefined;
}

/** Line and column of the node at `path`, or of its nearest existing ancestor. */
function position(doc: Document, path: PropertyKey[], lineCounter: LineCounter, atKey: boolean) {
  for (let depth = path.length; depth >= 0; depth--) {
    const prefix = path.slice(0, depth);
    const offset = nodeOffset(doc, prefix, atKey && depth === path.length);
    if (offset !== undefined) {
      const pos = lineCounter.linePos(offset);
      return { line: pos.line, column: pos.col };
    }
  }
  return {};
}

function nodeOffset(doc: Document, path: PropertyKey[], atKey: boolean): number | undefined {
  let node: unknown = doc.contents;
  let keyNode: unknown;
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find((item) => (item.key as { value?: unknown })?.value === segment);
      if (!pair) return undefined;
      keyNode = pair.key;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      node = node.items[segment];
      keyNode = node;
    } else {
      return undefined;
    }
  }
  const target = (atKey ? keyNode : node) ?? keyNode;
  return (target as YamlNode | undefined)?.range?.[0];
}

export function formatPath(path: PropertyKey[]): string {
  return path.reduce<string>((out, segment) => {
    if (typeof segment === 'number') return `${out}[${segment}]`;
    return out ? `${out}.${String(segment)}` : String(segment);
  }, '');
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}

/** The object keys a schema accepts at `path`, looking through wrappers, arrays and unions. */
function knownKeysAt(schema: z.core.$ZodType, path: PropertyKey[]): string[] {
  const keys = new Set<string>();
  const visit = (node: z.core.$ZodType, rest: PropertyKey[]): void => {
    const def = node._zod.def as unknown as Record<string, unknown> & { type: string };
    switch (def.type) {
      case 'optional':
      case 'default':
      case 'prefault':
      case 'nullable':
        return visit(def.innerType as z.core.$ZodType, rest);
      case 'pipe':
        return visit(def.in as z.core.$ZodType, rest);
      case 'union':
        return (def.options as z.core.$ZodType[]).forEach((option) => visit(option, rest));
      case 'array':
        if (typeof rest[0] === 'number') visit(def.element as z.core.$ZodType, rest.slice(1));
        return;
      case 'object': {
        const shape = def.shape as Record<string, z.core.$ZodType>;
        if (rest.length === 0) return Object.keys(shape).forEach((key) => keys.add(key));
        const child = shape[String(rest[0])];
        if (child) visit(child, rest.slice(1));
        return;
      }
      default:
        return;
    }
  };
  visit(schema, path);
  return [...keys];
}
