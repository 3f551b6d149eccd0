/** One SSE event: its `event:` name when it has one, and its `data:` lines joined. */
export interface SseEvent {
  event?: string;
  data: string;
}

/**
 * The SSE events of a whole body, parsed independently of llm-mux's own parser (LF or
 * CRLF line ends; comments and events without data skipped). Tests, the matrix oracle and
 * the benchmark's answer checks all read streams with it.
 */
export function parseSse(text: string): SseEvent[] {
  return text
    .split(/\r?\n\r?\n/)
    .map((block) => {
      let event: string | undefined;
      const data: string[] = [];
      for (const line of block.split(/\r?\n/)) {
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      }
      return event === undefined ? { data: data.join('\n') } : { event, data: data.join('\n') };
    })
    .filter((entry) => entry.data !== '');
}
