import { isRecord, tryParseJson } from '../../core/json.ts';
import { ProxyError } from '../../core/errors.ts';
import { createFramingParser } from '../../protocols/framing.ts';
import { geminiErrorResponse } from '../../protocols/gemini/errors.ts';
import { isEventStream } from '../code-assist/unwrap.ts';

/**
 * What Antigravity's backend answers, with HTTP 200 and as the model's text, when the
 * client's version is too old ("… Please update/upgrade to receive the latest features").
 */
const OUTDATED_NOTICE = 'this version of antigravity is no longer supported';

/**
 * A plain Gemini answer, or an error Response when it is the outdated-version notice.
 * A stream is read only until its first text decides (at most the notice's length),
 * then passed on from its first byte.
 */
export async function rejectOutdatedVersion(response: Response, version: string): Promise<Response> {
  if (!response.ok || !response.body) return response;
  if (!isEventStream(response)) {
    const text = await response.text();
    if (startsWithNotice(answerText(tryParseJson(text))) === true) return outdatedVersionError(version);
    return new Response(text, response);
  }
  const { verdict, readAhead, reader } = await readUntilFirstText(response.body);
  if (verdict === true) {
    await reader.cancel();
    return outdatedVersionError(version);
  }
  return new Response(replay(readAhead, reader), response);
}

/** Reads SSE events until their text (joined) either starts with the notice or cannot. */
async function readUntilFirstText(body: ReadableStream<Uint8Array>) {
  const reader = body.getReader();
  const readAhead: Uint8Array[] = [];
  const decoder = new TextDecoder();
  let text = '';
  let verdict: boolean | undefined;
  const parser = createFramingParser('sse', ({ data }) => {
    text += answerText(tryParseJson(data));
    verdict ??= startsWithNotice(text);
  });
  while (verdict === undefined) {
    const { done, value } = await reader.read();
    if (done) break;
    readAhead.push(value);
    parser.feed(decoder.decode(value, { stream: true }));
  }
  return { verdict, readAhead, reader };
}

/** What was read ahead, then the rest of the stream as it comes. */
function replay(readAhead: Uint8Array[], reader: ReadableStreamDefaultReader<Uint8Array>): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (const chunk of readAhead) controller.enqueue(chunk);
    },
    async pull(controller) {
      const { done, value } = await reader.read();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    cancel: (reason) => reader.cancel(reason),
  });
}

/**
 * True once `text` starts with the notice, false once it cannot (a real answer), undefined
 * while too little text has come to tell.
 */
function startsWithNotice(text: string): boolean | undefined {
  const start = text.trimStart().toLowerCase();
  if (start === '') return undefined;
  if (start.length >= OUTDATED_NOTICE.length) return start.startsWith(OUTDATED_NOTICE);
  return OUTDATED_NOTICE.startsWith(start) ? undefined : false;
}

/** The text parts of a Gemini answer's first candidate, joined. */
function answerText(answer: unknown): string {
  const candidates = isRecord(answer) && Array.isArray(answer.candidates) ? answer.candidates : [];
  const content = isRecord(candidates[0]) ? candidates[0].content : undefined;
  const parts = isRecord(content) && Array.isArray(content.parts) ? content.parts : [];
  return parts.map((part: unknown) => (isRecord(part) && typeof part.text === 'string' ? part.text : '')).join('');
}

/** A 502 in Google's error shape that tells the user which setting to change. */
function outdatedVersionError(version: string): Response {
  const message =
    `Antigravity refuses client version ${version} as no longer supported — set providers.antigravity.identity.version ` +
    'in config.yaml to the current Antigravity version';
  return geminiErrorResponse(new ProxyError('upstream', message, { status: 502, code: 'FAILED_PRECONDITION' }));
}
