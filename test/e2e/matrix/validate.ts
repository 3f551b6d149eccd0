// What a client receives, checked against the official schema of its protocol, event by
// event: OpenAI's and Anthropic's OpenAPI documents, Ollama's openapi.yaml, and for Gemini
// (which publishes only .proto files) the JSON names of the proto fields.
import type { ValidateFunction } from 'ajv/dist/2020.js';
import { unknownFields } from '../../protocols/gemini/proto.ts';
import { openApiValidator } from '../../support/schemas.ts';
import type { InboundName } from './clients.ts';
import { parseSse } from '../../support/sse.ts';
import { geminiElements, parseNdjson } from './oracle.ts';

const openai = openApiValidator('openai/openapi.yaml');
// The published Responses schemas mark fields required that real responses omit (see shared/wire/README.md).
const openaiLenient = openApiValidator('openai/openapi.yaml', { relaxRequired: true });
const anthropic = openApiValidator('anthropic/openapi.json', { relaxRequired: true });
const ollama = openApiValidator('ollama/openapi.yaml');

type Json = Record<string, any>;

function problems(validate: ValidateFunction, value: unknown, where: string): string[] {
  if (validate(value)) return [];
  const errors = (validate.errors ?? []).slice(0, 4).map((error) => `${error.instancePath || '/'} ${error.message ?? ''}`.trim());
  return [`${where}: ${errors.join('; ')} in ${JSON.stringify(value).slice(0, 300)}`];
}

function parseJson(text: string, where: string, out: string[]): Json | undefined {
  try {
    return JSON.parse(text) as Json;
  } catch {
    out.push(`${where}: not JSON: ${text.slice(0, 200)}`);
    return undefined;
  }
}

/**
 * The legacy Completions schema declares `finish_reason` as a non-null enum although the API
 * streams `null` until the last chunk (its own description says streamed and whole answers
 * share the shape): null is let through, nothing else.
 */
function completionChunk(chunk: Json): Json {
  return { ...chunk, choices: (chunk.choices ?? []).map((choice: Json) => (choice.finish_reason === null ? { ...choice, finish_reason: 'stop' } : choice)) };
}

/**
 * `response.error.code` is an enum in the published spec, but api.openai.com itself sends
 * codes outside it (`insufficient_quota`) and llm-mux keeps the upstream's code on purpose
 * (clients such as Codex branch on it): any string code is let through.
 */
function responsesEvent(event: Json): Json {
  const code = event.response?.error?.code;
  if (typeof code !== 'string') return event;
  return { ...event, response: { ...event.response, error: { ...event.response.error, code: 'server_error' } } };
}

function googleError(value: Json, where: string): string[] {
  const error = value.error;
  if (typeof error?.code === 'number' && typeof error.message === 'string' && typeof error.status === 'string') return [];
  return [`${where}: not a Google error {error:{code,message,status}}: ${JSON.stringify(value).slice(0, 300)}`];
}

function geminiResponse(value: Json, where: string): string[] {
  if (value.error) return googleError(value, where);
  return unknownFields('GenerateContentResponse', value).map((problem) => `${where}: ${problem}`);
}

/**
 * A Code Assist element: `{response: GenerateContentResponse, traceId?}` (gemini-cli's
 * converter; no schema is published), or a Google error.
 */
function codeAssistElement(value: Json, where: string): string[] {
  if (value.error) return googleError(value, where);
  const extra = Object.keys(value).filter((key) => key !== 'response' && key !== 'traceId');
  const out = extra.length > 0 ? [`${where}: unknown envelope keys ${extra.join(', ')}`] : [];
  if (value.response === null || typeof value.response !== 'object') return [...out, `${where}: no response in the envelope`];
  return [...out, ...geminiResponse(value.response, `${where}.response`)];
}

/** Every event of a streamed body, against the client protocol's stream schema. */
export function streamProblems(client: InboundName, body: string, options: { geminiJsonArray?: boolean } = {}): string[] {
  const out: string[] = [];
  if (client === 'ollama-chat' || client === 'ollama-generate') {
    let lines: Json[];
    try {
      lines = parseNdjson(body);
    } catch {
      return [`not NDJSON: ${body.slice(0, 200)}`];
    }
    lines.forEach((line, index) => {
      const where = `line ${index + 1}`;
      if ('error' in line) out.push(...problems(ollama('ErrorResponse'), line, where));
      else out.push(...problems(ollama(client === 'ollama-chat' ? 'ChatStreamEvent' : 'GenerateStreamEvent'), line, where));
    });
    return out;
  }
  if (client === 'gemini' && options.geminiJsonArray) {
    let elements: Json[];
    try {
      elements = geminiElements(body);
    } catch {
      return [`not a JSON array: ${body.slice(0, 200)}`];
    }
    if (!body.trimStart().startsWith('[')) out.push('a JSON-array stream that does not start with [');
    elements.forEach((element, index) => out.push(...geminiResponse(element, `element ${index + 1}`)));
    return out;
  }
  const events = parseSse(body);
  if (events.length === 0) out.push('no SSE events');
  events.forEach(({ event, data }, index) => {
    const where = `event ${index + 1}${event ? ` (${event})` : ''}`;
    if (data.trim() === '[DONE]') {
      if (client !== 'openai-chat' && client !== 'openai-completions') out.push(`${where}: [DONE] is not part of this protocol`);
      return;
    }
    const json = parseJson(data, where, out);
    if (!json) return;
    switch (client) {
      case 'openai-chat':
        out.push(...problems(json.error ? openai('ErrorResponse') : openai('CreateChatCompletionStreamResponse'), json, where));
        break;
      case 'openai-completions':
        out.push(...problems(json.error ? openai('ErrorResponse') : openai('CreateCompletionResponse'), json.error ? json : completionChunk(json), where));
        break;
      case 'openai-responses':
        if (event !== json.type) out.push(`${where}: event name ${event} but type ${json.type}`);
        out.push(...problems(openaiLenient('ResponseStreamEvent'), responsesEvent(json), where));
        break;
      case 'anthropic':
        if (event !== json.type) out.push(`${where}: event name ${event} but type ${json.type}`);
        out.push(...problems(json.type === 'error' ? anthropic('ErrorResponse') : anthropic('MessageStreamEvent'), json, where));
        break;
      case 'gemini':
        out.push(...geminiResponse(json, where));
        break;
      case 'gemini-code-assist':
        out.push(...codeAssistElement(json, where));
        break;
    }
  });
  return out;
}

/** A whole (non-streamed) answer or error body, against the client protocol's schema. */
export function bodyProblems(client: InboundName, body: string, status: number): string[] {
  const out: string[] = [];
  const json = parseJson(body, 'body', out);
  if (!json) return out;
  const error = status >= 400;
  switch (client) {
    case 'openai-chat':
      return problems(error ? openai('ErrorResponse') : openai('CreateChatCompletionResponse'), json, 'body');
    case 'openai-completions':
      return problems(error ? openai('ErrorResponse') : openai('CreateCompletionResponse'), json, 'body');
    case 'openai-responses':
      return problems(error ? openai('ErrorResponse') : openaiLenient('Response'), error ? json : responsesEvent({ response: json }).response, 'body');
    case 'anthropic':
      return problems(error ? anthropic('ErrorResponse') : anthropic('Message'), json, 'body');
    case 'gemini':
      return error ? googleError(json, 'body') : geminiResponse(json, 'body');
    case 'gemini-code-assist':
      return error ? googleError(json, 'body') : codeAssistElement(json, 'body');
    case 'ollama-chat':
      return problems(error ? ollama('ErrorResponse') : ollama('ChatResponse'), json, 'body');
    case 'ollama-generate':
      return problems(error ? ollama('ErrorResponse') : ollama('GenerateResponse'), json, 'body');
  }
}
