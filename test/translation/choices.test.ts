// n > 1: only OpenAI Chat (`n`) and Gemini (`candidateCount`) carry several choices. A
// request for several reaches those upstreams and the client gets every choice back; for
// Anthropic, Responses and Ollama upstreams it is a 400 in the client's own error format, and
// the upstream is never called.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROTOCOLS, errorMessage, post, startRig, type ClientProtocol, type Json, type Protocol, type Rig } from './support.ts';

const MODEL: Record<Protocol, string> = {
  'openai-chat': 'gpt-4o',
  'openai-responses': 'gpt-4.1',
  anthropic: 'claude-test-model',
  gemini: 'gemini-2.5-flash',
  ollama: 'qwen3:8b',
};

/** The clients that can ask for several choices, each asking for two. */
interface Client {
  client: ClientProtocol;
  request(model: string): { path: string; body: Json };
  /** The answer texts, one per choice, from the client's answer body. */
  texts(json: Json): string[];
}

const CLIENTS: Client[] = [
  {
    client: 'openai-chat',
    request: (model) => ({ path: '/v1/chat/completions', body: { model, n: 2, messages: [{ role: 'user', content: 'Name a colour.' }] } }),
    texts: (json) => (json.choices as Json[]).map((choice) => choice.message.content as string),
  },
  {
    client: 'gemini',
    request: (model) => ({
      path: `/v1beta/models/${model}:generateContent`,
      body: { contents: [{ role: 'user', parts: [{ text: 'Name a colour.' }] }], generationConfig: { candidateCount: 2 } },
    }),
    texts: (json) => (json.candidates as Json[]).map((candidate) => (candidate.content.parts as Json[]).map((part) => part.text).join('')),
  },
  {
    client: 'completions',
    request: (model) => ({ path: '/v1/completions', body: { model, n: 2, prompt: 'Name a colour.' } }),
    texts: (json) => (json.choices as Json[]).map((choice) => choice.text as string),
  },
];

const SEVERAL: Partial<Record<Protocol, (request: Json) => void>> = {
  'openai-chat': (body) => expect(body.n).toBe(2),
  gemini: (body) => expect(body.generationConfig).toEqual({ candidateCount: 2 }),
};

describe('n > 1', () => {
  let rig: Rig;

  beforeAll(async () => {
    rig = await startRig(Object.fromEntries(PROTOCOLS.map((protocol) => [protocol, [MODEL[protocol]]])));
    // Upstreams that can carry several choices answer with two.
    rig.answers['openai-chat'] = () => ({
      id: 'chatcmpl-two',
      object: 'chat.completion',
      created: 1_700_000_000,
      model: MODEL['openai-chat'],
      choices: ['red', 'blue'].map((content, index) => ({ index, message: { role: 'assistant', content, refusal: null }, finish_reason: 'stop', logprobs: null })),
      usage: { prompt_tokens: 4, completion_tokens: 2, total_tokens: 6 },
    });
    rig.answers.gemini = () => ({
      candidates: ['red', 'blue'].map((text, index) => ({ index, content: { role: 'model', parts: [{ text }] }, finishReason: 'STOP' })),
      usageMetadata: { promptTokenCount: 4, candidatesTokenCount: 2, totalTokenCount: 6 },
    });
  });
  afterAll(() => rig.close());

  const cases = CLIENTS.flatMap((client) => PROTOCOLS.map((upstream) => ({ ...client, upstream, label: `${client.client} → ${upstream}` })));

  it.each(cases.filter(({ upstream }) => SEVERAL[upstream]))('$label: reaches the upstream, every choice comes back', async ({ upstream, request, texts }) => {
    const { path, body } = request(MODEL[upstream]);
    let answer!: Awaited<ReturnType<typeof post>>;
    const { body: received } = await rig.one(async () => {
      answer = await post(`${rig.proxy.url}${path}`, body);
    });
    SEVERAL[upstream]!(received);
    expect(answer.status).toBe(200);
    expect(texts(answer.json)).toEqual(['red', 'blue']);
  });

  it.each(cases.filter(({ upstream }) => !SEVERAL[upstream]))('$label: a 400 in the client’s format, upstream not called', async ({ client, upstream, request }) => {
    const { path, body } = request(MODEL[upstream]);
    let answer!: Awaited<ReturnType<typeof post>>;
    const { posts } = await rig.capture(async () => {
      answer = await post(`${rig.proxy.url}${path}`, body);
    });
    expect(posts).toEqual([]);
    expect(answer.status).toBe(400);
    expect(errorMessage(client, answer.json)).toMatch(/n ?> ?1/);
  });
});
