// Reasoning suffixes on model names: `<model>-thinking-<N>` (budget N), `-nothinking`, and
// `-minimal|-low|-medium|-high` (effort) route to `<model>` and set the upstream's own
// reasoning field, converted through the one effort ↔ budget table (src/core/reasoning.ts).
// An exact model name wins: one that merely ends in `-high` is not stripped.
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLIENT_TIMEOUT_MS, post, startRig, upstreamModel, type Json, type Protocol, type Rig } from './support.ts';

/** One configured model per upstream kind; Gemini 3 and gpt-oss take levels rather than budgets/booleans. */
const TARGETS = [
  { name: 'anthropic', protocol: 'anthropic', model: 'm-claude' },
  { name: 'gemini-2.5', protocol: 'gemini', model: 'm-gemini-2.5' },
  { name: 'gemini-3', protocol: 'gemini', model: 'm-gemini-3' },
  { name: 'openai-chat', protocol: 'openai-chat', model: 'm-chat' },
  { name: 'openai-responses', protocol: 'openai-responses', model: 'm-responses' },
  { name: 'ollama', protocol: 'ollama', model: 'm-ollama' },
  { name: 'ollama gpt-oss', protocol: 'ollama', model: 'm-gpt-oss' },
] as const satisfies ReadonlyArray<{ name: string; protocol: Protocol; model: string }>;

type Target = (typeof TARGETS)[number]['name'];

/**
 * The reasoning fields each upstream must receive for each suffix: exactly these keys of the
 * body (absent ones must be absent). Chat requests below set no max_tokens.
 */
const EXPECTED: Record<string, Record<Target, Json>> = {
  '-thinking-4096': {
    // Thinking counts toward max_tokens: the default answer share (8192) goes on top.
    anthropic: { thinking: { type: 'enabled', budget_tokens: 4096 }, max_tokens: 4096 + 8192 },
    'gemini-2.5': { thinkingConfig: { thinkingBudget: 4096, includeThoughts: true } },
    // 4096 lies between the low (1024) and medium (8192) budgets: the largest effort that fits.
    'gemini-3': { thinkingConfig: { thinkingLevel: 'low', includeThoughts: true } },
    'openai-chat': { reasoning_effort: 'low' },
    'openai-responses': { reasoning: { effort: 'low' }, include: ['reasoning.encrypted_content'] },
    ollama: { think: true },
    'ollama gpt-oss': { think: 'low' },
  },
  '-nothinking': {
    anthropic: { thinking: undefined, max_tokens: 8192 },
    'gemini-2.5': { thinkingConfig: { thinkingBudget: 0, includeThoughts: false } },
    // Gemini 3 cannot switch thinking off: the lowest level, thoughts hidden.
    'gemini-3': { thinkingConfig: { thinkingLevel: 'low', includeThoughts: false } },
    // Chat encodes "none" by leaving reasoning_effort out (many Chat servers reject "none").
    'openai-chat': { reasoning_effort: undefined },
    'openai-responses': { reasoning: { effort: 'none' }, include: undefined },
    ollama: { think: false },
    // gpt-oss cannot stop thinking either: its lowest level.
    'ollama gpt-oss': { think: 'low' },
  },
  '-high': {
    anthropic: { thinking: { type: 'enabled', budget_tokens: 32768 }, max_tokens: 32768 + 8192 },
    'gemini-2.5': { thinkingConfig: { thinkingBudget: 32768, includeThoughts: true } },
    'gemini-3': { thinkingConfig: { thinkingLevel: 'high', includeThoughts: true } },
    'openai-chat': { reasoning_effort: 'high' },
    'openai-responses': { reasoning: { effort: 'high' }, include: ['reasoning.encrypted_content'] },
    ollama: { think: true },
    'ollama gpt-oss': { think: 'high' },
  },
  '-minimal': {
    anthropic: { thinking: { type: 'enabled', budget_tokens: 1024 }, max_tokens: 1024 + 8192 },
    'gemini-2.5': { thinkingConfig: { thinkingBudget: 128, includeThoughts: true } },
    'gemini-3': { thinkingConfig: { thinkingLevel: 'low', includeThoughts: true } },
    'openai-chat': { reasoning_effort: 'minimal' },
    'openai-responses': { reasoning: { effort: 'minimal' }, include: ['reasoning.encrypted_content'] },
    ollama: { think: true },
    'ollama gpt-oss': { think: 'low' },
  },
};

/** Where each upstream keeps the fields above. */
function reasoningFields(target: Target, body: Json): Json {
  const keys = Object.keys(EXPECTED['-high']![target]);
  const source = target.startsWith('gemini') ? (body.generationConfig ?? {}) : body;
  return Object.fromEntries(keys.map((key) => [key, source[key]]));
}

describe('reasoning suffixes on model names', () => {
  let rig: Rig;
  let client: OpenAI;

  beforeAll(async () => {
    const models: Partial<Record<Protocol, string[]>> = {};
    for (const target of TARGETS) (models[target.protocol] ??= []).push(target.model);
    // A real model whose name ends in a suffix, on another provider than its would-be base.
    models['openai-chat']!.push('m-exact');
    models.anthropic!.push('m-exact-high');
    // Real model names, whose APIs limit the reasoning settings.
    models.gemini!.push('gemini-2.5-flash', 'gemini-2.5-pro', 'gemini-2.5-flash-lite');
    models.anthropic!.push('claude-opus-4-1');
    rig = await startRig(models);
    client = new OpenAI({ baseURL: `${rig.proxy.url}/v1`, apiKey: 'sk-client', maxRetries: 0, timeout: CLIENT_TIMEOUT_MS });
  });
  afterAll(() => rig.close());

  const cases = Object.keys(EXPECTED).flatMap((suffix) => TARGETS.map((target) => ({ ...target, suffix, label: `${target.model}${suffix} → ${target.name}` })));

  it.each(cases)('$label', async ({ name, model, suffix }) => {
    const { request, body } = await rig.one(() =>
      client.chat.completions.create({ model: `${model}${suffix}`, messages: [{ role: 'user', content: 'Think, then answer.' }] }),
    );
    expect(upstreamModel(request)).toBe(model);
    expect(reasoningFields(name, body)).toEqual(EXPECTED[suffix]![name]);
  });

  it('overrides the reasoning the client asked for itself', async () => {
    const { body } = await rig.one(() =>
      client.chat.completions.create({ model: 'm-claude-thinking-4096', reasoning_effort: 'high', messages: [{ role: 'user', content: 'Hi' }] }),
    );
    expect(body.thinking).toEqual({ type: 'enabled', budget_tokens: 4096 });
  });

  it('turns a same-protocol request into a translated one (the bytes must change)', async () => {
    const raw = `{"model":"m-chat-medium","messages":[{"role":"user","content":"Hi"}],  "temperature": 0.5}`;
    const { request, body } = await rig.one(() => post(`${rig.proxy.url}/v1/chat/completions`, raw));
    expect(request.body).not.toBe(raw);
    expect(body).toEqual({ model: 'm-chat', messages: [{ role: 'user', content: 'Hi' }], temperature: 0.5, reasoning_effort: 'medium' });
  });

  it('works for every client protocol (Anthropic client, Gemini client with the model in the URL)', async () => {
    const anthropic = await rig.one(() =>
      post(`${rig.proxy.url}/v1/messages`, { model: 'm-gemini-2.5-thinking-2048', max_tokens: 100, messages: [{ role: 'user', content: 'Hi' }] }),
    );
    expect(upstreamModel(anthropic.request)).toBe('m-gemini-2.5');
    expect(anthropic.body.generationConfig.thinkingConfig).toEqual({ thinkingBudget: 2048, includeThoughts: true });

    const gemini = await rig.one(() => post(`${rig.proxy.url}/v1beta/models/m-claude-high:generateContent`, { contents: [{ parts: [{ text: 'Hi' }] }] }));
    expect(upstreamModel(gemini.request)).toBe('m-claude');
    expect(gemini.body.thinking).toEqual({ type: 'enabled', budget_tokens: 32768 });
  });

  it('does not strip an exact model name that ends in -high', async () => {
    const raw = '{"model":"m-exact-high","messages":[{"role":"user","content":"Hi"}]}';
    const exact = await rig.one(() => post(`${rig.proxy.url}/v1/chat/completions`, raw));
    // m-exact-high is an Anthropic model of its own: routed there, under its full name, no thinking.
    expect(exact.request.url).toBe('/anthropic/v1/messages');
    expect(upstreamModel(exact.request)).toBe('m-exact-high');
    expect(exact.body.thinking).toBeUndefined();
    // …while its would-be base still takes suffixes.
    const suffixed = await rig.one(() => post(`${rig.proxy.url}/v1/chat/completions`, raw.replace('m-exact-high', 'm-exact-low')));
    expect(suffixed.request.url).toBe('/chat/v1/chat/completions');
    expect(suffixed.body).toMatchObject({ model: 'm-exact', reasoning_effort: 'low' });
  });

  it('an exact name passes through untouched to a same-protocol upstream', async () => {
    const raw = '{"model":"m-claude","max_tokens":100,"messages":[{"role":"user","content":"Hi"}]}';
    const { request } = await rig.one(() => post(`${rig.proxy.url}/v1/messages`, raw));
    expect(request.body).toBe(raw);
  });

  it('a suffix on a model nobody serves is a 404 in the client’s format naming the model', async () => {
    const { posts } = await rig.capture(async () => {
      const answer = await post(`${rig.proxy.url}/v1/messages`, { model: 'm-unknown-high', max_tokens: 10, messages: [{ role: 'user', content: 'Hi' }] });
      expect(answer.status).toBe(404);
      expect(answer.json).toMatchObject({ type: 'error', error: { type: 'not_found_error' } });
      expect(answer.json.error.message).toContain('m-unknown-high');
    });
    expect(posts).toEqual([]);
  });

  // The effort ↔ budget table is clamped to each model's documented limits, or the upstream
  // answers 400. Gemini: 2.5 Flash takes 0–24576, 2.5 Flash-Lite 0 or 512–24576, 2.5 Pro
  // 128–32768 and cannot turn thinking off. Anthropic: claude-opus-4-1 writes at most 32000
  // output tokens, thinking included.
  it.each([
    { model: 'gemini-2.5-flash-high', within: [0, 24576] },
    { model: 'gemini-2.5-flash-thinking-30000', within: [0, 24576] },
    { model: 'gemini-2.5-pro-nothinking', within: [128, 32768] },
    { model: 'gemini-2.5-flash-lite-minimal', within: [512, 24576] },
  ])('$model: the thinking budget stays within what the model accepts $within', async ({ model, within }) => {
    const { body } = await rig.one(() => client.chat.completions.create({ model, messages: [{ role: 'user', content: 'Hi' }] }));
    const budget = body.generationConfig.thinkingConfig.thinkingBudget as number;
    expect(budget).toBeGreaterThanOrEqual(within[0]!);
    expect(budget).toBeLessThanOrEqual(within[1]!);
  });

  it('claude-opus-4-1-high: max_tokens stays within the model’s 32000 output tokens', async () => {
    const { body } = await rig.one(() => client.chat.completions.create({ model: 'claude-opus-4-1-high', messages: [{ role: 'user', content: 'Hi' }] }));
    expect(body.thinking.budget_tokens).toBeLessThan(body.max_tokens);
    expect(body.max_tokens).toBeLessThanOrEqual(32000);
  });
});
