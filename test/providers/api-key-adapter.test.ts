import { describe, expect, it } from 'vitest';
import type { UpstreamFetch } from '../../src/providers/http.ts';
import { apiKeyAdapter, type UpstreamCall } from '../../src/providers/upstream.ts';
import { recordingFetch } from '../support/recording-fetch.ts';

function call(fetch: UpstreamFetch, model: string, stream: boolean, secret?: string): UpstreamCall {
  return { model, stream, body: '{}', fetch, signal: new AbortController().signal, credential: secret === undefined ? undefined : { secret, extra: {} } };
}

describe('API-key adapter', () => {
  it('sends one frozen target per key, model and mode, the same objects every time', async () => {
    const { fetch, calls } = recordingFetch('{}');
    const adapter = apiKeyAdapter('gemini', 'http://127.0.0.1:9/v1beta');
    await adapter.send(call(fetch, 'gemini-2.5-pro', false, 'key-a'));
    await adapter.send(call(fetch, 'gemini-2.5-pro', false, 'key-a'));
    await adapter.send(call(fetch, 'gemini-2.5-pro', true, 'key-a'));
    await adapter.send(call(fetch, 'gemini-2.5-flash', false, 'key-a'));
    await adapter.send(call(fetch, 'gemini-2.5-pro', false, 'key-b'));
    await adapter.send(call(fetch, 'gemini-2.5-pro', false));

    const [first, again, streaming, otherModel, otherKey, keyless] = calls;
    expect(again!.init.headers).toBe(first!.init.headers);
    expect(again!.url).toBe(first!.url);
    expect(Object.isFrozen(first!.init.headers)).toBe(true);
    expect(first!.url).toBe('http://127.0.0.1:9/v1beta/models/gemini-2.5-pro:generateContent');
    expect(first!.init.headers).toMatchObject({ 'x-goog-api-key': 'key-a', accept: 'application/json' });
    expect(first!.init.wholeAnswer).toBe(true);
    expect(streaming!.url).toBe('http://127.0.0.1:9/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse');
    expect(streaming!.init.wholeAnswer).toBe(false);
    expect(otherModel!.url).toBe('http://127.0.0.1:9/v1beta/models/gemini-2.5-flash:generateContent');
    expect(otherKey!.init.headers).toMatchObject({ 'x-goog-api-key': 'key-b' });
    expect(keyless!.init.headers).not.toHaveProperty('x-goog-api-key');
  });

  it('answers every model right past the memo\'s bound (256 models), which it then starts over', async () => {
    const { fetch, calls } = recordingFetch('{}');
    const adapter = apiKeyAdapter('gemini', 'http://127.0.0.1:9/v1beta');
    for (let i = 0; i < 600; i++) await adapter.send(call(fetch, `model-${i % 300}`, false, 'key'));
    expect(calls.map((sent) => sent.url)).toEqual(
      Array.from({ length: 600 }, (_, i) => `http://127.0.0.1:9/v1beta/models/model-${i % 300}:generateContent`),
    );
  });
});
