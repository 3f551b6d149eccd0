// The inbound side of the matrix: each client protocol driven by its official SDK. Every
// SDK gets a fetch that tees the answer, so the bytes the SDK parsed can be checked against
// the protocol's schema too, without a second request.
import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import { Ollama } from 'ollama';
import OpenAI from 'openai';
import {
  foldAnthropicEvents,
  foldAnthropicMessage,
  foldChatChunks,
  foldChatCompletion,
  foldCompletions,
  foldGeminiElements,
  foldOllamaLines,
  foldResponseObject,
  foldResponsesEvents,
  type Format,
  type Transcript,
} from './oracle.ts';

export type InboundName =
  | 'openai-chat'
  | 'openai-completions'
  | 'openai-responses'
  | 'anthropic'
  | 'gemini'
  | 'gemini-code-assist'
  | 'ollama-chat'
  | 'ollama-generate';

/** One HTTP answer as the SDK received it. */
export interface Captured {
  url: string;
  status: number;
  contentType: string;
  headers: Headers;
  /** Everything that arrived, even when the body broke off. */
  body: Promise<string>;
  /** Milliseconds from sending the request to the first body bytes and to the end of the body. */
  timing: Promise<{ firstBytes: number; end: number }>;
}

export interface Observation {
  /** What the SDK handed over, folded by the oracle's fold for the client's protocol. */
  transcript: Transcript;
  /** For SDKs that reassemble a stream themselves (Anthropic's MessageStream): their result, folded. */
  sdkFinal?: Transcript;
  /** What the SDK threw, if anything. */
  error?: unknown;
  answers: Captured[];
  /** The SDK's own objects, for a follow-up turn built from them. */
  raw: unknown;
}

export interface RunOptions {
  url: string;
  model: string;
  prompt: string;
  stream: boolean;
}

/** What the SDK error says, in one shape: HTTP status when there was one, and the upstream's message. */
export interface ClientError {
  sdkType: boolean;
  status?: number;
  message: string;
}

export interface Client {
  name: InboundName;
  /** The protocol family: same-protocol upstreams are passed through unless `alwaysTranslate`. */
  protocol: Format;
  alwaysTranslate: boolean;
  /** The path the client calls (documentation and the raw-fetch checks). */
  path: string;
  framing: 'sse' | 'ndjson';
  run(options: RunOptions): Promise<Observation>;
  /** Normalises what the SDK threw; `sdkType` says whether it is the SDK's own API error type. */
  errorOf(error: unknown, midStream: boolean): ClientError;
}

/** A fetch that hands the SDK one branch of the body and keeps the other. */
export function capturingFetch(answers: Captured[]): typeof fetch {
  return async (input, init) => {
    const started = performance.now();
    const response = await fetch(input, init);
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (!response.body) {
      const now = performance.now() - started;
      answers.push({
        url,
        status: response.status,
        contentType: response.headers.get('content-type') ?? '',
        headers: response.headers,
        body: Promise.resolve(''),
        timing: Promise.resolve({ firstBytes: now, end: now }),
      });
      return response;
    }
    const [forSdk, forTest] = response.body.tee();
    const read = readAll(forTest, started);
    answers.push({
      url,
      status: response.status,
      contentType: response.headers.get('content-type') ?? '',
      headers: response.headers,
      body: read.then(({ text }) => text),
      timing: read.then(({ firstBytes, end }) => ({ firstBytes, end })),
    });
    return new Response(forSdk, { status: response.status, statusText: response.statusText, headers: response.headers });
  };
}

async function readAll(stream: ReadableStream<Uint8Array>, started: number): Promise<{ text: string; firstBytes: number; end: number }> {
  const decoder = new TextDecoder();
  const reader = stream.getReader();
  let text = '';
  let firstBytes: number | undefined;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      firstBytes ??= performance.now() - started;
      text += decoder.decode(value, { stream: true });
    }
  } catch {
    // The connection broke: what arrived is what the checks get.
  }
  const end = performance.now() - started;
  return { text: text + decoder.decode(), firstBytes: firstBytes ?? end, end };
}

async function drain<T>(iterable: AsyncIterable<T>, into: T[]): Promise<unknown> {
  try {
    for await (const item of iterable) into.push(item);
    return undefined;
  } catch (error) {
    return error;
  }
}

type Json = Record<string, any>;

const CLIENT_KEY = 'sk-client-not-checked';

function openai(url: string, answers: Captured[]): OpenAI {
  return new OpenAI({ baseURL: `${url}/v1`, apiKey: CLIENT_KEY, maxRetries: 0, fetch: capturingFetch(answers) });
}

function openAIError(error: unknown): ClientError {
  if (error instanceof OpenAI.APIError) {
    const body = error.error as Json | undefined;
    const message = typeof body?.message === 'string' ? body.message : error.message;
    return { sdkType: true, ...(error.status !== undefined ? { status: error.status } : {}), message };
  }
  return { sdkType: false, message: String((error as Error)?.message ?? error) };
}

const chat: Client = {
  name: 'openai-chat',
  protocol: 'openai-chat',
  alwaysTranslate: false,
  path: '/v1/chat/completions',
  framing: 'sse',
  async run({ url, model, prompt, stream }) {
    const answers: Captured[] = [];
    const client = openai(url, answers);
    const messages = [{ role: 'user' as const, content: prompt }];
    try {
      if (stream) {
        const chunks: Json[] = [];
        const error = await drain(await client.chat.completions.create({ model, messages, stream: true, stream_options: { include_usage: true } }), chunks);
        return { transcript: foldChatChunks(chunks), error, answers, raw: chunks };
      }
      const completion = await client.chat.completions.create({ model, messages });
      return { transcript: foldChatCompletion(completion as unknown as Json), answers, raw: completion };
    } catch (error) {
      return { transcript: foldChatChunks([]), error, answers, raw: undefined };
    }
  },
  errorOf: openAIError,
};

const completions: Client = {
  name: 'openai-completions',
  protocol: 'openai-chat',
  alwaysTranslate: true,
  path: '/v1/completions',
  framing: 'sse',
  async run({ url, model, prompt, stream }) {
    const answers: Captured[] = [];
    const client = openai(url, answers);
    try {
      if (stream) {
        const chunks: Json[] = [];
        const error = await drain(await client.completions.create({ model, prompt, stream: true, stream_options: { include_usage: true } }), chunks);
        return { transcript: foldCompletions(chunks), error, answers, raw: chunks };
      }
      const completion = await client.completions.create({ model, prompt });
      return { transcript: foldCompletions([completion as unknown as Json]), answers, raw: completion };
    } catch (error) {
      return { transcript: foldCompletions([]), error, answers, raw: undefined };
    }
  },
  errorOf: openAIError,
};

const responses: Client = {
  name: 'openai-responses',
  protocol: 'openai-responses',
  alwaysTranslate: false,
  path: '/v1/responses',
  framing: 'sse',
  async run({ url, model, prompt, stream }) {
    const answers: Captured[] = [];
    const client = openai(url, answers);
    try {
      if (stream) {
        const events: Json[] = [];
        const error = await drain(await client.responses.create({ model, input: prompt, stream: true }), events);
        return { transcript: foldResponsesEvents(events), error, answers, raw: events };
      }
      const response = await client.responses.create({ model, input: prompt });
      return { transcript: foldResponseObject(response as unknown as Json), answers, raw: response };
    } catch (error) {
      return { transcript: foldResponsesEvents([]), error, answers, raw: undefined };
    }
  },
  errorOf: openAIError,
};

const anthropic: Client = {
  name: 'anthropic',
  protocol: 'anthropic',
  alwaysTranslate: false,
  path: '/v1/messages',
  framing: 'sse',
  async run({ url, model, prompt, stream }) {
    const answers: Captured[] = [];
    const client = new Anthropic({ baseURL: url, apiKey: CLIENT_KEY, maxRetries: 0, fetch: capturingFetch(answers) });
    const params = { model, max_tokens: 1024, messages: [{ role: 'user' as const, content: prompt }] };
    try {
      if (stream) {
        const events: Json[] = [];
        const messageStream = client.messages.stream(params);
        // Without a listener the stream's own rejection would go unhandled.
        messageStream.on('error', () => undefined);
        const error = await drain(messageStream, events);
        let sdkFinal: Transcript | undefined;
        let final: unknown;
        if (!error) {
          final = await messageStream.finalMessage();
          sdkFinal = foldAnthropicMessage(final as Json);
        }
        return { transcript: foldAnthropicEvents(events), sdkFinal, error, answers, raw: final };
      }
      const message = await client.messages.create(params);
      return { transcript: foldAnthropicMessage(message as unknown as Json), answers, raw: message };
    } catch (error) {
      return { transcript: foldAnthropicEvents([]), error, answers, raw: undefined };
    }
  },
  errorOf(error) {
    if (error instanceof Anthropic.APIError) {
      const body = error.error as Json | undefined;
      const message = typeof body?.error?.message === 'string' ? body.error.message : error.message;
      return { sdkType: true, ...(error.status !== undefined ? { status: error.status } : {}), message };
    }
    return { sdkType: false, message: String((error as Error)?.message ?? error) };
  },
};

const gemini: Client = {
  name: 'gemini',
  protocol: 'gemini',
  alwaysTranslate: false,
  path: '/v1beta/models/{model}:streamGenerateContent?alt=sse',
  framing: 'sse',
  async run({ url, model, prompt, stream }) {
    const answers: Captured[] = [];
    const ai = new GoogleGenAI({ apiKey: CLIENT_KEY, httpOptions: { baseUrl: url, fetch: capturingFetch(answers) } });
    try {
      if (stream) {
        const elements: Json[] = [];
        const error = await drain(await ai.models.generateContentStream({ model, contents: prompt }), elements);
        return { transcript: foldGeminiElements(elements), error, answers, raw: elements };
      }
      const response = await ai.models.generateContent({ model, contents: prompt });
      return { transcript: foldGeminiElements([response as unknown as Json]), answers, raw: response };
    } catch (error) {
      return { transcript: foldGeminiElements([]), error, answers, raw: undefined };
    }
  },
  errorOf(error) {
    const name = (error as Error)?.name;
    const message = String((error as Error)?.message ?? error);
    if (name !== 'ApiError') return { sdkType: false, message };
    // HTTP errors: the body as JSON; errors inside a stream: "got status: X. {json}".
    const json = message.slice(message.indexOf('{'));
    let inner = message;
    try {
      const parsed = JSON.parse(json) as Json;
      inner = String(parsed.error?.message ?? message);
    } catch {
      // Not JSON: keep the whole text.
    }
    return { sdkType: true, status: (error as { status?: number }).status, message: inner };
  },
};

/** What a Code Assist client (Gemini CLI, which has no public SDK) throws: the HTTP status or the error element. */
export class CodeAssistError extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
  ) {
    super(message);
    this.name = 'CodeAssistError';
  }
}

/**
 * Gemini CLI's Code Assist API (`/v1internal:…`), read as gemini-cli does: the request in a
 * `{model, project, request}` envelope, every answer element under `response`; an element
 * with `error` ends the stream with that error.
 */
const codeAssist: Client = {
  name: 'gemini-code-assist',
  protocol: 'gemini',
  alwaysTranslate: true,
  path: '/v1internal:streamGenerateContent?alt=sse',
  framing: 'sse',
  async run({ url, model, prompt, stream }) {
    const answers: Captured[] = [];
    const fetcher = capturingFetch(answers);
    const envelope = { model, project: 'matrix-project', user_prompt_id: 'matrix', request: { contents: [{ role: 'user', parts: [{ text: prompt }] }] } };
    const elements: Json[] = [];
    try {
      const response = await fetcher(`${url}/v1internal:${stream ? 'streamGenerateContent?alt=sse' : 'generateContent'}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(envelope),
      });
      const text = await response.text();
      if (!response.ok) {
        const body = JSON.parse(text) as Json;
        throw new CodeAssistError(String(body.error?.message ?? text), response.status);
      }
      const raw = stream
        ? text
            .split(/\r?\n\r?\n/)
            .map((block) => block.split(/\r?\n/).filter((line) => line.startsWith('data:')).map((line) => line.slice(5).trim()).join('\n'))
            .filter((data) => data !== '')
            .map((data) => JSON.parse(data) as Json)
        : [JSON.parse(text) as Json];
      for (const element of raw) {
        // Like @google/genai, the error element's code stands for the status.
        if (element.error) throw new CodeAssistError(String(element.error.message ?? ''), typeof element.error.code === 'number' ? element.error.code : undefined);
        elements.push(element.response ?? {});
      }
      return { transcript: foldGeminiElements(elements), answers, raw };
    } catch (error) {
      return { transcript: foldGeminiElements(elements), error, answers, raw: undefined };
    }
  },
  errorOf(error) {
    if (error instanceof CodeAssistError) return { sdkType: true, ...(error.status !== undefined ? { status: error.status } : {}), message: error.message };
    return { sdkType: false, message: String((error as Error)?.message ?? error) };
  },
};

function ollamaClient(endpoint: 'chat' | 'generate'): Client {
  return {
    name: endpoint === 'chat' ? 'ollama-chat' : 'ollama-generate',
    protocol: 'ollama',
    alwaysTranslate: endpoint === 'generate',
    path: `/api/${endpoint}`,
    framing: 'ndjson',
    async run({ url, model, prompt, stream }) {
      const answers: Captured[] = [];
      const client = new Ollama({ host: url, fetch: capturingFetch(answers) });
      try {
        if (stream) {
          const lines: Json[] = [];
          const iterator =
            endpoint === 'chat'
              ? await client.chat({ model, messages: [{ role: 'user', content: prompt }], stream: true })
              : await client.generate({ model, prompt, stream: true });
          const error = await drain(iterator as AsyncIterable<Json>, lines);
          return { transcript: foldOllamaLines(lines), error, answers, raw: lines };
        }
        const answer =
          endpoint === 'chat'
            ? await client.chat({ model, messages: [{ role: 'user', content: prompt }], stream: false })
            : await client.generate({ model, prompt, stream: false });
        return { transcript: foldOllamaLines([answer as unknown as Json]), answers, raw: answer };
      } catch (error) {
        return { transcript: foldOllamaLines([]), error, answers, raw: undefined };
      }
    },
    errorOf(error, midStream) {
      const message = String((error as Error)?.message ?? error);
      if ((error as Error)?.name === 'ResponseError') return { sdkType: true, status: (error as { status_code?: number }).status_code, message };
      // Inside a stream the client throws a plain Error with the `error` line's text.
      return { sdkType: midStream && error instanceof Error, message };
    },
  };
}

export const CLIENTS: Record<InboundName, Client> = {
  'openai-chat': chat,
  'openai-completions': completions,
  'openai-responses': responses,
  anthropic,
  gemini,
  'gemini-code-assist': codeAssist,
  'ollama-chat': ollamaClient('chat'),
  'ollama-generate': ollamaClient('generate'),
};
