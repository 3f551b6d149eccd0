// The oracle of the translation matrix: what a recorded body holds, folded from the raw wire
// format of its protocol into one protocol-neutral transcript. Written against the wire
// formats (as documented by each provider and seen in ../shared/wire/fixtures), sharing no
// code with llm-mux. The same folds read what the clients receive: a client's stream is
// the wire format of its own protocol too.
import { parseSse } from '../../support/sse.ts';

/** Finish reasons in llm-mux's canonical vocabulary. */
export type Finish = 'stop' | 'length' | 'tool_calls' | 'content_filter';

export interface ToolCall {
  /** Empty when the protocol has no ids (Gemini, Ollama) or the client did not see one. */
  id: string;
  name: string;
  /** Parsed arguments; the raw text when it is not JSON (a failure the checks report). */
  args: unknown;
}

export interface Choice {
  /** Text blocks (Anthropic blocks, Responses parts, runs of Gemini text parts), in order. */
  text: string[];
  /** Reasoning blocks, likewise (thinking, summary parts, thought parts, reasoning deltas). */
  reasoning: string[];
  refusal: string;
  toolCalls: ToolCall[];
  finish?: Finish;
}

/** Token counts in canonical terms: input includes cached and cache-written tokens, output includes reasoning. */
export interface Usage {
  input: number;
  output: number;
  cached: number;
  cacheWrite: number;
  reasoning: number;
}

export interface WireError {
  message: string;
  /** The HTTP status the error implies, when it says (OpenRouter's numeric code, Groq's status_code). */
  status?: number;
}

export interface Transcript {
  choices: Choice[];
  usage?: Usage;
  error?: WireError;
  /**
   * Opaque reasoning state a client must send back byte for byte (thinking signatures,
   * thoughtSignature, encrypted_content): one entry per signed item, listing the values that
   * are good for it (OpenAI re-issues a reasoning item's encrypted_content in .added, .done
   * and response.completed; any of them will do).
   */
  signatures: string[][];
  /** Anthropic redacted_thinking data: opaque too, but a block of its own. */
  redacted: string[];
}

export function emptyChoice(): Choice {
  return { text: [], reasoning: [], refusal: '', toolCalls: [] };
}

function emptyTranscript(): Transcript {
  return { choices: [], signatures: [], redacted: [] };
}

function choiceAt(transcript: Transcript, index: number): Choice {
  while (transcript.choices.length <= index) transcript.choices.push(emptyChoice());
  return transcript.choices[index]!;
}

export function parseArgs(text: string): unknown {
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

type Json = Record<string, any>;

// ---------------------------------------------------------------------------------------
// Raw framing, independent of llm-mux's parsers.

export function parseNdjson(text: string): Json[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Json);
}

/** Text segments: appends to the last segment of `list`, or opens one when `fresh`. */
function append(list: string[], text: string, fresh: boolean): void {
  if (fresh || list.length === 0) list.push(text);
  else list[list.length - 1] += text;
}

// ---------------------------------------------------------------------------------------
// OpenAI Chat Completions.

function chatFinish(reason: string): Finish {
  if (reason === 'length') return 'length';
  if (reason === 'tool_calls' || reason === 'function_call') return 'tool_calls';
  if (reason === 'content_filter') return 'content_filter';
  return 'stop';
}

export function chatUsage(usage: Json): Usage {
  return {
    input: usage.prompt_tokens ?? 0,
    output: usage.completion_tokens ?? 0,
    cached: usage.prompt_tokens_details?.cached_tokens ?? 0,
    cacheWrite: 0,
    reasoning: usage.completion_tokens_details?.reasoning_tokens ?? 0,
  };
}

function chatError(error: Json): WireError {
  const status = typeof error.status_code === 'number' ? error.status_code : typeof error.code === 'number' ? error.code : undefined;
  return { message: String(error.message ?? ''), ...(status ? { status } : {}) };
}

/** `chat.completion.chunk`s (parsed), an error chunk ends the fold. */
export function foldChatChunks(chunks: readonly Json[]): Transcript {
  const transcript = emptyTranscript();
  const calls = new Map<string, ToolCall & { raw: string }>();
  for (const chunk of chunks) {
    if (chunk.error) {
      transcript.error = chatError(chunk.error);
      if (chunk.usage) transcript.usage = chatUsage(chunk.usage);
      break;
    }
    if (chunk.usage) transcript.usage = chatUsage(chunk.usage);
    for (const choice of chunk.choices ?? []) {
      const turn = choiceAt(transcript, choice.index ?? 0);
      const delta = choice.delta ?? {};
      if (typeof delta.content === 'string' && delta.content !== '') append(turn.text, delta.content, false);
      if (typeof delta.refusal === 'string') turn.refusal += delta.refusal;
      for (const field of ['reasoning_content', 'reasoning'] as const) {
        if (typeof delta[field] === 'string' && delta[field] !== '') append(turn.reasoning, delta[field], false);
      }
      for (const call of delta.tool_calls ?? []) {
        const key = `${choice.index ?? 0}:${call.index}`;
        let known = calls.get(key);
        if (!known) {
          known = { id: '', name: '', args: undefined, raw: '' };
          calls.set(key, known);
          turn.toolCalls.push(known);
        }
        known.id ||= call.id ?? '';
        known.name ||= call.function?.name ?? '';
        known.raw += call.function?.arguments ?? '';
      }
      if (choice.finish_reason) turn.finish = chatFinish(choice.finish_reason);
    }
  }
  for (const call of calls.values()) {
    call.args = parseArgs(call.raw);
    delete (call as Partial<typeof call>).raw;
  }
  return transcript;
}

export function foldChatSse(text: string): Transcript {
  const chunks: Json[] = [];
  for (const { event, data } of parseSse(text)) {
    if (data.trim() === '[DONE]') continue;
    const json = JSON.parse(data) as Json;
    chunks.push(event === 'error' && !json.error ? { error: json } : json);
  }
  return foldChatChunks(chunks);
}

/** A `chat.completion` body. */
export function foldChatCompletion(body: Json): Transcript {
  const transcript = emptyTranscript();
  for (const choice of body.choices ?? []) {
    const turn = choiceAt(transcript, choice.index ?? 0);
    const message = choice.message ?? {};
    if (typeof message.content === 'string' && message.content !== '') turn.text.push(message.content);
    if (typeof message.refusal === 'string') turn.refusal = message.refusal;
    for (const field of ['reasoning_content', 'reasoning'] as const) {
      if (typeof message[field] === 'string' && message[field] !== '') turn.reasoning.push(message[field]);
    }
    for (const call of message.tool_calls ?? []) {
      turn.toolCalls.push({ id: call.id ?? '', name: call.function?.name ?? '', args: parseArgs(call.function?.arguments ?? '') });
    }
    if (choice.finish_reason) turn.finish = chatFinish(choice.finish_reason);
  }
  if (body.usage) transcript.usage = chatUsage(body.usage);
  return transcript;
}

/** Legacy `text_completion` chunks or body: text, finish and usage only. */
export function foldCompletions(chunks: readonly Json[]): Transcript {
  const transcript = emptyTranscript();
  for (const chunk of chunks) {
    if (chunk.error) {
      transcript.error = chatError(chunk.error);
      break;
    }
    if (chunk.usage) transcript.usage = chatUsage(chunk.usage);
    for (const choice of chunk.choices ?? []) {
      const turn = choiceAt(transcript, choice.index ?? 0);
      if (typeof choice.text === 'string' && choice.text !== '') append(turn.text, choice.text, false);
      if (choice.finish_reason) turn.finish = chatFinish(choice.finish_reason);
    }
  }
  return transcript;
}

// ---------------------------------------------------------------------------------------
// OpenAI Responses.

export function responsesUsage(usage: Json): Usage {
  return {
    input: usage.input_tokens ?? 0,
    output: usage.output_tokens ?? 0,
    cached: usage.input_tokens_details?.cached_tokens ?? 0,
    cacheWrite: usage.input_tokens_details?.cache_write_tokens ?? 0,
    reasoning: usage.output_tokens_details?.reasoning_tokens ?? 0,
  };
}

function responsesFinish(response: Json, madeCalls: boolean): Finish {
  if (response.status === 'incomplete') return response.incomplete_details?.reason === 'content_filter' ? 'content_filter' : 'length';
  return madeCalls ? 'tool_calls' : 'stop';
}

/** Responses stream events (parsed). Items are keyed by output_index; parts by content/summary index. */
export function foldResponsesEvents(events: readonly Json[]): Transcript {
  const transcript = emptyTranscript();
  const turn = choiceAt(transcript, 0);
  // Per output item: its kind and the segment keys seen, to open a new segment per part.
  const items = new Map<number, { type: string; keys: Set<string>; call?: ToolCall & { raw: string } }>();
  const signatures = new Map<string, Set<string>>();
  const sign = (id: string, value: string) => {
    const values = signatures.get(id) ?? new Set<string>();
    values.add(value);
    signatures.set(id, values);
  };
  const item = (index: number, type: string) => {
    let known = items.get(index);
    if (!known) {
      known = { type, keys: new Set() };
      items.set(index, known);
    }
    return known;
  };
  const delta = (index: number, type: string, key: string, list: string[], text: unknown) => {
    if (typeof text !== 'string' || text === '') return;
    const known = item(index, type);
    const fresh = !known.keys.has(key);
    known.keys.add(key);
    append(list, text, fresh);
  };
  for (const event of events) {
    const index = event.output_index ?? 0;
    switch (event.type) {
      case 'response.output_item.added':
      case 'response.output_item.done': {
        const wire = event.item ?? {};
        const known = item(index, wire.type ?? '');
        if (wire.type === 'function_call' && !known.call) {
          known.call = { id: wire.call_id ?? '', name: wire.name ?? '', args: undefined, raw: '' };
          turn.toolCalls.push(known.call);
        }
        if (wire.type === 'reasoning' && wire.encrypted_content) sign(wire.id ?? String(index), wire.encrypted_content);
        if (event.type === 'response.output_item.done' && wire.type === 'function_call' && known.call && known.call.raw === '') {
          known.call.raw = wire.arguments ?? '';
        }
        break;
      }
      case 'response.output_text.delta':
        delta(index, 'message', `text:${event.content_index ?? 0}`, turn.text, event.delta);
        break;
      case 'response.refusal.delta':
        if (typeof event.delta === 'string') turn.refusal += event.delta;
        break;
      case 'response.reasoning_summary_text.delta':
        delta(index, 'reasoning', `summary:${event.summary_index ?? 0}`, turn.reasoning, event.delta);
        break;
      case 'response.reasoning_text.delta':
        delta(index, 'reasoning', `content:${event.content_index ?? 0}`, turn.reasoning, event.delta);
        break;
      case 'response.function_call_arguments.delta': {
        const call = items.get(index)?.call;
        if (call) call.raw += event.delta ?? '';
        break;
      }
      case 'response.completed':
      case 'response.incomplete': {
        const response = event.response ?? {};
        for (const wire of response.output ?? []) if (wire.type === 'reasoning' && wire.encrypted_content) sign(wire.id ?? '', wire.encrypted_content);
        if (response.usage) transcript.usage = responsesUsage(response.usage);
        turn.finish = responsesFinish(response, turn.toolCalls.length > 0);
        break;
      }
      case 'error':
        transcript.error ??= { message: String(event.error?.message ?? event.message ?? '') };
        break;
      case 'response.failed':
        transcript.error ??= { message: String(event.response?.error?.message ?? '') };
        break;
    }
    if (transcript.error) break;
  }
  for (const { call } of items.values()) {
    if (!call) continue;
    call.args = parseArgs(call.raw);
    delete (call as Partial<typeof call>).raw;
  }
  transcript.signatures = [...signatures.values()].map((values) => [...values]);
  return transcript;
}

export function foldResponsesSse(text: string): Transcript {
  return foldResponsesEvents(
    parseSse(text)
      .filter(({ data }) => data.trim() !== '[DONE]')
      .map(({ event, data }) => {
        const json = JSON.parse(data) as Json;
        return json.type ? json : { ...json, type: event };
      }),
  );
}

/** A whole Response object (`object: "response"`). */
export function foldResponseObject(response: Json): Transcript {
  const transcript = emptyTranscript();
  const turn = choiceAt(transcript, 0);
  for (const item of response.output ?? []) {
    if (item.type === 'message') {
      for (const part of item.content ?? []) {
        if (part.type === 'output_text' && part.text) turn.text.push(part.text);
        if (part.type === 'refusal') turn.refusal += part.refusal ?? '';
      }
    } else if (item.type === 'reasoning') {
      for (const part of [...(item.summary ?? []), ...(item.content ?? [])]) if (part.text) turn.reasoning.push(part.text);
      if (item.encrypted_content) transcript.signatures.push([item.encrypted_content]);
    } else if (item.type === 'function_call') {
      turn.toolCalls.push({ id: item.call_id ?? '', name: item.name ?? '', args: parseArgs(item.arguments ?? '') });
    }
  }
  if (response.status === 'failed') transcript.error = { message: String(response.error?.message ?? '') };
  else turn.finish = responsesFinish(response, turn.toolCalls.length > 0);
  if (response.usage) transcript.usage = responsesUsage(response.usage);
  return transcript;
}

// ---------------------------------------------------------------------------------------
// Anthropic Messages.

export function anthropicUsage(usage: Json): Usage {
  const cached = usage.cache_read_input_tokens ?? 0;
  const cacheWrite = usage.cache_creation_input_tokens ?? 0;
  return {
    input: (usage.input_tokens ?? 0) + cached + cacheWrite,
    output: usage.output_tokens ?? 0,
    cached,
    cacheWrite,
    reasoning: usage.output_tokens_details?.thinking_tokens ?? 0,
  };
}

function anthropicFinish(reason: string | null | undefined): Finish | undefined {
  switch (reason) {
    case null:
    case undefined:
      return undefined;
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return 'tool_calls';
    case 'refusal':
      return 'content_filter';
    default:
      return 'stop';
  }
}

/** Message stream events (parsed). Server tools (server_tool_use, web_search_tool_result) are not client tool calls. */
export function foldAnthropicEvents(events: readonly Json[]): Transcript {
  const transcript = emptyTranscript();
  const turn = choiceAt(transcript, 0);
  const blocks = new Map<number, { type: string; call?: ToolCall & { raw: string; input: unknown }; signature: string }>();
  let usage: Json = {};
  for (const event of events) {
    switch (event.type) {
      case 'message_start':
        usage = { ...usage, ...withoutNulls(event.message?.usage ?? {}) };
        break;
      case 'content_block_start': {
        const block = event.content_block ?? {};
        const entry: { type: string; call?: ToolCall & { raw: string; input: unknown }; signature: string } = { type: block.type, signature: '' };
        blocks.set(event.index, entry);
        if (block.type === 'text') {
          turn.text.push(block.text ?? '');
        } else if (block.type === 'thinking') {
          turn.reasoning.push(block.thinking ?? '');
          entry.signature = block.signature ?? '';
        } else if (block.type === 'redacted_thinking') {
          transcript.redacted.push(block.data);
        } else if (block.type === 'tool_use') {
          entry.call = { id: block.id ?? '', name: block.name ?? '', args: undefined, raw: '', input: block.input };
          turn.toolCalls.push(entry.call);
        }
        break;
      }
      case 'content_block_delta': {
        const block = blocks.get(event.index);
        const delta = event.delta ?? {};
        if (delta.type === 'text_delta') turn.text[turn.text.length - 1] += delta.text ?? '';
        else if (delta.type === 'thinking_delta') turn.reasoning[turn.reasoning.length - 1] += delta.thinking ?? '';
        else if (delta.type === 'signature_delta' && block) block.signature += delta.signature ?? '';
        else if (delta.type === 'input_json_delta' && block?.call) block.call.raw += delta.partial_json ?? '';
        break;
      }
      case 'content_block_stop': {
        const block = blocks.get(event.index);
        if (block?.type === 'thinking' && block.signature) transcript.signatures.push([block.signature]);
        break;
      }
      case 'message_delta':
        turn.finish = anthropicFinish(event.delta?.stop_reason) ?? turn.finish;
        usage = { ...usage, ...withoutNulls(event.usage ?? {}) };
        break;
      case 'error':
        transcript.error = { message: String(event.error?.message ?? '') };
        break;
    }
    if (transcript.error) break;
  }
  for (const { call } of blocks.values()) {
    if (!call) continue;
    call.args = call.raw === '' && call.input && Object.keys(call.input).length > 0 ? call.input : parseArgs(call.raw);
    delete (call as Partial<typeof call>).raw;
    delete (call as Partial<typeof call>).input;
  }
  turn.text = turn.text.filter((text) => text !== '');
  turn.reasoning = turn.reasoning.filter((text) => text !== '');
  if (Object.keys(usage).length > 0) transcript.usage = anthropicUsage(usage);
  return transcript;
}

function withoutNulls(object: Json): Json {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== null && value !== undefined));
}

export function foldAnthropicSse(text: string): Transcript {
  return foldAnthropicEvents(parseSse(text).map(({ data }) => JSON.parse(data) as Json));
}

/** A `message` body (or an error body). */
export function foldAnthropicMessage(message: Json): Transcript {
  if (message.type === 'error') return { ...emptyTranscript(), error: { message: String(message.error?.message ?? '') } };
  const transcript = emptyTranscript();
  const turn = choiceAt(transcript, 0);
  for (const block of message.content ?? []) {
    if (block.type === 'text' && block.text) turn.text.push(block.text);
    else if (block.type === 'thinking') {
      if (block.thinking) turn.reasoning.push(block.thinking);
      if (block.signature) transcript.signatures.push([block.signature]);
    } else if (block.type === 'redacted_thinking') transcript.redacted.push(block.data);
    else if (block.type === 'tool_use') turn.toolCalls.push({ id: block.id ?? '', name: block.name ?? '', args: block.input ?? {} });
  }
  turn.finish = anthropicFinish(message.stop_reason);
  if (message.usage) transcript.usage = anthropicUsage(message.usage);
  return transcript;
}

// ---------------------------------------------------------------------------------------
// Gemini generateContent.

export function geminiUsage(usage: Json): Usage {
  const thoughts = usage.thoughtsTokenCount ?? 0;
  return {
    input: (usage.promptTokenCount ?? 0) + (usage.toolUsePromptTokenCount ?? 0),
    output: (usage.candidatesTokenCount ?? 0) + thoughts,
    cached: usage.cachedContentTokenCount ?? 0,
    cacheWrite: 0,
    reasoning: thoughts,
  };
}

function geminiFinish(reason: string): Finish {
  if (reason === 'MAX_TOKENS') return 'length';
  if (['SAFETY', 'RECITATION', 'LANGUAGE', 'BLOCKLIST', 'PROHIBITED_CONTENT', 'SPII', 'IMAGE_SAFETY'].includes(reason)) return 'content_filter';
  return 'stop';
}

/** Sets `value` at a partialArgs jsonPath (`$.a.b`, `$.list[0]`); strings continue the value there. */
function applyPartialArg(target: Json, arg: Json): void {
  const path = String(arg.jsonPath ?? '$')
    .replace(/^\$\.?/, '')
    .split(/\.|\[(\d+)\]/)
    .filter((segment) => segment !== undefined && segment !== '');
  let node: Json = target;
  for (const segment of path.slice(0, -1)) node = node[segment] ??= {};
  const last = path.at(-1);
  if (last === undefined) return;
  if ('stringValue' in arg) node[last] = (typeof node[last] === 'string' ? node[last] : '') + arg.stringValue;
  else if ('numberValue' in arg) node[last] = arg.numberValue;
  else if ('boolValue' in arg) node[last] = arg.boolValue;
  else if ('nullValue' in arg) node[last] = null;
}

/**
 * GenerateContentResponse elements (SSE data, JSON-array elements, or one non-streaming
 * body). Gemini has no block boundaries: a run of text (or thought) parts is one segment.
 * Vertex's streamed arguments: a functionCall with `willContinue` opens a call, partialArgs
 * fill it, an empty functionCall ends it.
 */
export function foldGeminiElements(elements: readonly Json[]): Transcript {
  const transcript = emptyTranscript();
  const state = new Map<number, { last?: 'text' | 'thought'; partial?: ToolCall & { args: Json } }>();
  for (const element of elements) {
    if (element.error) {
      transcript.error = { message: String(element.error.message ?? ''), ...(typeof element.error.code === 'number' ? { status: element.error.code } : {}) };
      break;
    }
    (element.candidates ?? []).forEach((candidate: Json, position: number) => {
      const index = candidate.index ?? position;
      const turn = choiceAt(transcript, index);
      const s = state.get(index) ?? {};
      state.set(index, s);
      for (const part of candidate.content?.parts ?? []) {
        if (part.thoughtSignature) transcript.signatures.push([part.thoughtSignature]);
        if (typeof part.text === 'string' && part.text !== '') {
          const kind = part.thought ? 'thought' : 'text';
          append(kind === 'thought' ? turn.reasoning : turn.text, part.text, s.last !== kind);
          s.last = kind;
        }
        const call = part.functionCall;
        if (call) {
          s.last = undefined;
          if (call.name && call.willContinue) {
            s.partial = { id: call.id ?? '', name: call.name, args: { ...(call.args ?? {}) } };
            turn.toolCalls.push(s.partial);
          } else if (call.name) {
            turn.toolCalls.push({ id: call.id ?? '', name: call.name, args: call.args ?? {} });
          } else if (s.partial) {
            for (const arg of call.partialArgs ?? []) applyPartialArg(s.partial.args, arg);
            if (!call.willContinue) s.partial = undefined;
          }
        }
      }
      if (candidate.finishReason) turn.finish = geminiFinish(candidate.finishReason);
    });
    if (element.usageMetadata && (element.usageMetadata.promptTokenCount !== undefined || element.usageMetadata.candidatesTokenCount !== undefined)) {
      transcript.usage = geminiUsage(element.usageMetadata);
    }
  }
  for (const turn of transcript.choices) {
    if (turn.finish === 'stop' && turn.toolCalls.length > 0) turn.finish = 'tool_calls';
  }
  return transcript;
}

/** The elements of a Gemini body: SSE, a JSON array (streamGenerateContent without alt=sse) or one object. */
export function geminiElements(text: string): Json[] {
  const trimmed = text.trimStart();
  if (trimmed.startsWith('[')) return JSON.parse(trimmed) as Json[];
  if (trimmed.startsWith('{')) return [JSON.parse(trimmed) as Json];
  return parseSse(text).map(({ data }) => JSON.parse(data) as Json);
}

// ---------------------------------------------------------------------------------------
// Ollama /api/chat and /api/generate.

/** NDJSON lines or one body; both endpoints' shapes. `done_reason` "stop" after tool calls reads as tool_calls. */
export function foldOllamaLines(lines: readonly Json[]): Transcript {
  const transcript = emptyTranscript();
  const turn = choiceAt(transcript, 0);
  let last: 'text' | 'thinking' | undefined;
  for (const line of lines) {
    if (typeof line.error === 'string') {
      transcript.error = { message: line.error };
      break;
    }
    const content = line.message?.content ?? line.response ?? '';
    const thinking = line.message?.thinking ?? line.thinking ?? '';
    if (thinking !== '') {
      append(turn.reasoning, thinking, last !== 'thinking');
      last = 'thinking';
    }
    if (content !== '') {
      append(turn.text, content, last !== 'text');
      last = 'text';
    }
    for (const call of line.message?.tool_calls ?? []) {
      turn.toolCalls.push({ id: call.id ?? '', name: call.function?.name ?? '', args: call.function?.arguments ?? {} });
      last = undefined;
    }
    if (line.done) {
      turn.finish = line.done_reason === 'length' ? 'length' : turn.toolCalls.length > 0 ? 'tool_calls' : 'stop';
      if (line.prompt_eval_count !== undefined || line.eval_count !== undefined) {
        transcript.usage = { input: line.prompt_eval_count ?? 0, output: line.eval_count ?? 0, cached: 0, cacheWrite: 0, reasoning: 0 };
      }
    }
  }
  return transcript;
}

// ---------------------------------------------------------------------------------------
// A recorded body of any format.

export type Format = 'openai-chat' | 'openai-responses' | 'anthropic' | 'gemini' | 'ollama';

/** What a recorded body (as the upstream sends it) holds. */
export function foldRecording(format: Format, body: string, contentType: string): Transcript {
  const json = contentType.startsWith('application/json');
  switch (format) {
    case 'openai-chat':
      return json ? foldChatCompletion(JSON.parse(body) as Json) : foldChatSse(body);
    case 'openai-responses':
      return json ? foldResponseObject(JSON.parse(body) as Json) : foldResponsesSse(body);
    case 'anthropic':
      return json ? foldAnthropicMessage(JSON.parse(body) as Json) : foldAnthropicSse(body);
    case 'gemini':
      return foldGeminiElements(geminiElements(body));
    case 'ollama':
      return json ? foldOllamaLines([JSON.parse(body) as Json]) : foldOllamaLines(parseNdjson(body));
  }
}

/** The message of an HTTP error body in `format`'s own error shape. */
export function httpErrorMessage(format: Format, body: string): string {
  const json = JSON.parse(body) as Json;
  if (format === 'ollama') return String(json.error);
  return String(json.error?.message ?? '');
}
