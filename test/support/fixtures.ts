import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseSse, type SseEvent } from './sse.ts';

/** The recorded provider bodies shared by every developer (see ../shared/wire/README.md). */
export const FIXTURES_DIR = resolve(import.meta.dirname, '../../../shared/wire/fixtures');

export interface Fixture {
  /** e.g. `openai-chat/gpt-4o-text-with-usage.sse` */
  name: string;
  format: string;
  /** Bytes exactly as an upstream sends them (chunks.ndjson re-framed as SSE). */
  body: Buffer;
  contentType: string;
  /** HTTP status to answer with: error fixtures carry theirs in the file name. */
  status: number;
}

export function listFixtures(format: string): Fixture[] {
  return readdirSync(join(FIXTURES_DIR, format))
    .sort()
    .map((file) => loadFixture(`${format}/${file}`));
}

export function loadFixture(name: string): Fixture {
  const format = name.split('/')[0]!;
  const raw = readFileSync(join(FIXTURES_DIR, name));
  const status = Number(/error-(\d{3})-/.exec(name)?.[1] ?? 200);
  if (name.endsWith('.chunks.ndjson')) return { name, format, body: reframeChunks(raw, format), contentType: 'text/event-stream', status };
  if (name.endsWith('.sse')) return { name, format, body: raw, contentType: 'text/event-stream', status };
  if (name.endsWith('.ndjson')) return { name, format, body: raw, contentType: 'application/x-ndjson', status };
  return { name, format, body: raw, contentType: 'application/json', status };
}

/**
 * vercel/ai recordings keep only the data payloads: put back the SSE framing the provider
 * sent (event: lines for typed protocols, [DONE] for Chat Completions).
 */
function reframeChunks(raw: Buffer, format: string): Buffer {
  const lines = raw.toString('utf8').split('\n').filter((line) => line.trim() !== '');
  const typed = format === 'anthropic' || format === 'openai-responses';
  const events = lines.map((line) => {
    const type = typed ? (JSON.parse(line) as { type?: string }).type : undefined;
    return `${type ? `event: ${type}\n` : ''}data: ${line}\n\n`;
  });
  if (format === 'openai-chat') events.push('data: [DONE]\n\n');
  return Buffer.from(events.join(''), 'utf8');
}

/** The events of a recorded SSE body, parsed independently of llm-mux's parser, in order. */
export function sseEvents(body: Buffer): SseEvent[] {
  return parseSse(body.toString('utf8'));
}
