/** How a Gemini stream is written out: one GenerateContentResponse (or error) per element. */
export interface StreamFraming {
  readonly contentType: string;
  element(json: unknown): string;
  /** What ends the body once nothing else follows. */
  close(): string;
}

/** `?alt=sse`: one `data:` event per element, ended with CRLF CRLF as Google does. */
export function sseFraming(): StreamFraming {
  return {
    contentType: 'text/event-stream',
    element: (json) => `data: ${JSON.stringify(json)}\r\n\r\n`,
    close: () => '',
  };
}

/**
 * streamGenerateContent without alt=sse: one JSON array written as it grows, byte for
 * byte in Google's layout: `[` + pretty-printed elements joined by `\n,\r\n` + `\n]`.
 */
export function jsonArrayFraming(): StreamFraming {
  let count = 0;
  return {
    contentType: 'application/json; charset=UTF-8',
    element: (json) => `${count++ === 0 ? '[' : '\n,\r\n'}${JSON.stringify(json, null, 2)}`,
    close: () => (count === 0 ? '[]' : '\n]'),
  };
}
