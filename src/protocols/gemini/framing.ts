/** How a Gemini stream is written out: one GenerateContentResponse (or error) per element. */
export interface StreamFraming {
  readonly contentType: string;
  element(json: unknown): string;
  /** How an element's JSON is written. */
  stringify(json: unknown): string;
  /** An element already written by stringify(). */
  elementText(text: string): string;
  /** What ends the body once nothing else follows. */
  close(): string;
}

/** What `?alt=sse` writes before and after each element: CRLF CRLF ends it, as Google does. */
export const SSE_DATA = 'data: ';
export const SSE_END = '\r\n\r\n';

/** `?alt=sse`: one `data:` event per element. */
export function sseFraming(): StreamFraming {
  return framing('text/event-stream', (json) => JSON.stringify(json), (text) => `${SSE_DATA}${text}${SSE_END}`, () => '');
}

/**
 * streamGenerateContent without alt=sse: one JSON array written as it grows, byte for
 * byte in Google's layout: `[` + pretty-printed elements joined by `\n,\r\n` + `\n]`.
 */
export function jsonArrayFraming(): StreamFraming {
  let count = 0;
  return framing(
    'application/json; charset=UTF-8',
    (json) => JSON.stringify(json, null, 2),
    (text) => `${count++ === 0 ? '[' : '\n,\r\n'}${text}`,
    () => (count === 0 ? '[]' : '\n]'),
  );
}

function framing(contentType: string, stringify: (json: unknown) => string, elementText: (text: string) => string, close: () => string): StreamFraming {
  return { contentType, stringify, elementText, element: (json) => elementText(stringify(json)), close };
}
