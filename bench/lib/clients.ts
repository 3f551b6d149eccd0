/**
 * The client side of a benchmark request, per client protocol: where it goes, what it
 * sends, a cheap completeness check for every response under load, and a full reading
 * of one answer (text and usage) for the checks before any load.
 */
import { parseSse } from '../../test/support/sse.ts';
import type { Mode } from './load.ts';

export type ClientProtocol = 'openai-chat' | 'anthropic' | 'gemini';

export interface TokenCounts {
  input: number;
  output: number;
}

export interface Answer {
  content: string;
  usage?: TokenCounts;
}

export interface ClientSpec {
  /** How reports name it. */
  label: string;
  path(model: string, mode: Mode): string;
  body(model: string, mode: Mode): string;
  /** Cheap enough to run on every response under load; `read` checks content thoroughly. */
  looksComplete(mode: Mode): (body: string) => boolean;
  /** The answer's text and usage; throws on a body that is not a well-formed answer. */
  read(mode: Mode, body: string): Answer;
}

type Json = Record<string, any>;

/** The last few events of a stream, without scanning a long body. */
const tail = (body: string): string => body.slice(-1024);

const openAIChat: ClientSpec = {
  label: 'OpenAI Chat',
  path: () => '/v1/chat/completions',
  body: (model, mode) =>
    JSON.stringify({
      model,
      messages: [{ role: 'user', content: 'hi' }],
      // A translated stream carries usage only when asked, as OpenAI's does.
      ...(mode === 'streaming' ? { stream: true, stream_options: { include_usage: true } } : { stream: false }),
    }),
  looksComplete: (mode) =>
    mode === 'streaming' ? (body) => body.trimEnd().endsWith('data: [DONE]') : (body) => body.includes('"choices"'),
  read(mode, body) {
    if (mode === 'non-streaming') {
      const json = JSON.parse(body) as Json;
      return { content: json.choices?.[0]?.message?.content ?? '', usage: chatUsage(json.usage) };
    }
    const events = parseSse(body);
    if (events.at(-1)?.data.trim() !== '[DONE]') throw new Error('stream does not end with data: [DONE]');
    let content = '';
    let usage: TokenCounts | undefined;
    for (const event of events.slice(0, -1)) {
      const json = JSON.parse(event.data) as Json;
      content += json.choices?.[0]?.delta?.content ?? '';
      usage = chatUsage(json.usage) ?? usage;
    }
    return { content, usage };
  },
};

function chatUsage(usage: Json | null | undefined): TokenCounts | undefined {
  return usage ? { input: usage.prompt_tokens, output: usage.completion_tokens } : undefined;
}

const anthropic: ClientSpec = {
  label: 'Anthropic',
  path: () => '/v1/messages',
  body: (model, mode) =>
    JSON.stringify({ model, max_tokens: 1024, messages: [{ role: 'user', content: 'hi' }], stream: mode === 'streaming' }),
  looksComplete: (mode) =>
    mode === 'streaming' ? (body) => tail(body).includes('"type":"message_stop"') : (body) => body.includes('"content"'),
  read(mode, body) {
    if (mode === 'non-streaming') {
      const json = JSON.parse(body) as Json;
      if (json.type !== 'message') throw new Error(`not a message: ${body.slice(0, 200)}`);
      const content = (json.content as Json[]).map((block) => (block.type === 'text' ? block.text : '')).join('');
      return { content, usage: anthropicUsage(json.usage) };
    }
    const events = parseSse(body);
    let content = '';
    let usage: Json = {};
    for (const { event, data } of events) {
      const json = JSON.parse(data) as Json;
      if (event !== json.type) throw new Error(`event name ${event} but type ${json.type}`);
      if (json.type === 'error') throw new Error(`error event: ${data}`);
      if (json.type === 'message_start') usage = { ...usage, ...json.message.usage };
      if (json.type === 'message_delta') usage = { ...usage, ...json.usage };
      if (json.type === 'content_block_delta' && json.delta.type === 'text_delta') content += json.delta.text;
    }
    if (events.at(-1)?.event !== 'message_stop') throw new Error('stream does not end with message_stop');
    return { content, usage: anthropicUsage(usage) };
  },
};

function anthropicUsage(usage: Json | undefined): TokenCounts | undefined {
  return usage && usage.output_tokens !== undefined ? { input: usage.input_tokens, output: usage.output_tokens } : undefined;
}

const gemini: ClientSpec = {
  label: 'Gemini',
  path: (model, mode) => `/v1beta/models/${encodeURIComponent(model)}:${mode === 'streaming' ? 'streamGenerateContent?alt=sse' : 'generateContent'}`,
  body: () => JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] }),
  looksComplete: (mode) => (mode === 'streaming' ? (body) => tail(body).includes('"finishReason"') : (body) => body.includes('"candidates"')),
  read(mode, body) {
    const elements = mode === 'streaming' ? parseSse(body).map((event) => JSON.parse(event.data) as Json) : [JSON.parse(body) as Json];
    let content = '';
    let usage: TokenCounts | undefined;
    for (const element of elements) {
      if (element.error) throw new Error(`error: ${JSON.stringify(element.error)}`);
      for (const part of element.candidates?.[0]?.content?.parts ?? []) content += part.text ?? '';
      const metadata = element.usageMetadata;
      if (metadata) usage = { input: metadata.promptTokenCount, output: metadata.candidatesTokenCount };
    }
    if (!elements.at(-1)?.candidates?.[0]?.finishReason) throw new Error('the last element carries no finishReason');
    return { content, usage };
  },
};

export const CLIENTS: Record<ClientProtocol, ClientSpec> = { 'openai-chat': openAIChat, anthropic, gemini };
