import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TokenError } from '../../src/auth/errors.ts';
import { ResponseAggregator } from '../../src/core/aggregate.ts';
import { decodeUpstreamStream } from '../../src/gateway/observe.ts';
import { responsesInbound, responsesOutbound } from '../../src/protocols/openai-responses/index.ts';
import { codexProvider } from '../../src/providers/codex/index.ts';
import type { UpstreamFetch } from '../../src/providers/http.ts';
import { SUBSCRIPTION_DEFAULTS, subscriptionSettings } from '../../src/providers/subscription-defaults.ts';
import type { LoginUi } from '../../src/providers/subscription.ts';
import type { MemberCredential, UpstreamCall } from '../../src/providers/upstream.ts';
import { startFakeOAuthServer, type FakeOAuthServer } from '../support/fake-oauth-server.ts';
import { startFakeUpstream, type FakeUpstream } from '../support/fake-upstream.ts';
import { loadFixture, sseEvents } from '../support/fixtures.ts';
import { scriptedLoginUi } from '../support/scripted-login-ui.ts';
import { occupiedPort, unusedPort } from '../support/ports.ts';

const IDENTITY = SUBSCRIPTION_DEFAULTS.codex.identity;
const upstreamFetch: UpstreamFetch = (url, init) => fetch(url, init);
const AUTH_CLAIM = 'https://api.openai.com/auth';

/** Shaped like OpenAI's access tokens: a JWT whose `exp` is the only expiry the login may get. */
function jwt(claims: Record<string, unknown>): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${encode({ alg: 'RS256' })}.${encode(claims)}.sig`;
}

/**
 * The terminal and the user: the "browser" loads the authorize URL from the fake provider
 * and then does what the test says on its consent screen.
 */
function browserUser(atConsent: () => Promise<Response>): { ui: LoginUi; opened: string[]; consent: () => Promise<Response | undefined> } {
  const ui = scriptedLoginUi();
  let consent: Promise<Response> | undefined;
  return {
    ui: {
      ...ui,
      openBrowser: async (url) => {
        ui.opened.push(url);
        consent = fetch(url).then(() => atConsent());
        return true;
      },
    },
    opened: ui.opened,
    consent: async () => consent,
  };
}

describe('codex login', () => {
  let fake: FakeOAuthServer;
  let port: number;

  beforeEach(async () => {
    fake = await startFakeOAuthServer({
      idTokenClaims: { [AUTH_CLAIM]: { chatgpt_account_id: 'acct-123', chatgpt_plan_type: 'plus', chatgpt_user_id: 'user-9' } },
    });
    port = await unusedPort();
  });
  afterEach(() => fake.close());

  const settings = (callbackPort: number | string = port) =>
    subscriptionSettings('codex', {
      endpoints: { authorize: `${fake.url}/authorize`, token: `${fake.url}/token` },
      identity: { 'client-id': fake.config.clientId, 'callback-port': String(callbackPort) },
    });

  const login = (ui: LoginUi, callbackPort?: number | string) =>
    codexProvider.login({ settings: settings(callbackPort), fetch: upstreamFetch, ui, noBrowser: false });

  it('logs in end to end: Codex authorize parameters, the fixed callback port, a form exchange with PKCE, the account from the id_token', async () => {
    const user = browserUser(() => fake.approve());
    const result = await login(user.ui);
    expect((await user.consent())?.status).toBe(200);

    const authorize = Object.fromEntries(fake.authorizeRequests[0]!);
    expect(authorize).toEqual({
      response_type: 'code',
      client_id: fake.config.clientId,
      redirect_uri: `http://localhost:${port}/auth/callback`,
      scope: IDENTITY.scopes,
      code_challenge: expect.any(String),
      code_challenge_method: 'S256',
      id_token_add_organizations: 'true',
      codex_cli_simplified_flow: 'true',
      state: expect.any(String),
      originator: IDENTITY.originator,
    });

    const exchange = fake.tokenRequests[0]!;
    expect(exchange.encoding).toBe('form');
    expect(exchange.params).toMatchObject({
      grant_type: 'authorization_code',
      client_id: fake.config.clientId,
      redirect_uri: authorize.redirect_uri,
    });
    expect(createHash('sha256').update(exchange.params.code_verifier!).digest('base64url')).toBe(authorize.code_challenge);

    expect(result.email).toBe('user@example.com');
    expect(result.credentials).toMatchObject({
      accessToken: expect.stringMatching(/^access-/),
      refreshToken: expect.stringMatching(/^refresh-/),
      idToken: expect.any(String),
      extra: { accountId: 'acct-123', planType: 'plus' },
    });
    expect(result.credentials.expiresAt).toBe(result.credentials.issuedAt! + 3_600_000);
  });

  it('reads the e-mail from the profile claim, and the expiry from the access token when expires_in is missing', async () => {
    const exp = Math.floor(Date.now() / 1000) + 864_000;
    fake.config.expiresIn = undefined;
    fake.config.idTokenClaims = { email: undefined, 'https://api.openai.com/profile': { email: 'profile@example.com' } };
    fake.config.extraTokenFields = { access_token: jwt({ exp }) };
    const user = browserUser(() => fake.approve());
    const result = await login(user.ui);
    expect(result.email).toBe('profile@example.com');
    expect(result.credentials.expiresAt).toBe(exp * 1000);
    // No account claim: nothing invented for it.
    expect(result.credentials.extra).toBeUndefined();
  });

  it('moves on to the second registered port when the first is taken, as Codex does (1455, then 1457)', async () => {
    const taken = await occupiedPort();
    try {
      const user = browserUser(() => fake.approve());
      const result = await login(user.ui, `${taken.port},${port}`);
      expect((await user.consent())?.status).toBe(200);
      expect(result.email).toBeDefined();
      expect(fake.authorizeRequests[0]!.get('redirect_uri')).toBe(`http://localhost:${port}/auth/callback`);
    } finally {
      await taken.close();
    }
  });

  it('refuses at once when the callback port is taken, before any browser opens', async () => {
    const holder: Server = createServer();
    await new Promise<void>((resolve) => holder.listen(port, '127.0.0.1', resolve));
    try {
      const user = browserUser(() => fake.approve());
      await expect(login(user.ui)).rejects.toMatchObject({ code: 'port_in_use', message: expect.stringContaining(String(port)) });
      expect(user.opened).toEqual([]);
      expect(fake.counts.authorize).toBe(0);
    } finally {
      await new Promise<void>((resolve) => holder.close(() => resolve()));
    }
  });

  it('says so when consent is denied, and exchanges nothing', async () => {
    const user = browserUser(() => fake.deny());
    await expect(login(user.ui)).rejects.toMatchObject({ code: 'access_denied' });
    expect(fake.counts.authorizationCode).toBe(0);
  });

  describe('refresh', () => {
    async function loggedIn() {
      const user = browserUser(() => fake.approve());
      return (await login(user.ui)).credentials;
    }

    it('sends a JSON refresh_token grant and keeps the rotated refresh token; the used one is then refused for good', async () => {
      const credentials = await loggedIn();
      const refresh = codexProvider.refresher(settings(), upstreamFetch);

      const renewed = await refresh(credentials);
      expect(fake.tokenRequests.at(-1)).toMatchObject({
        encoding: 'json',
        params: { grant_type: 'refresh_token', client_id: fake.config.clientId, refresh_token: credentials.refreshToken },
      });
      expect(renewed.accessToken).not.toBe(credentials.accessToken);
      expect(renewed.refreshToken).toMatch(/^refresh-/);
      expect(renewed.refreshToken).not.toBe(credentials.refreshToken);
      expect(renewed.extra).toEqual({ accountId: 'acct-123', planType: 'plus' });

      const reused = await refresh(credentials).catch((error: unknown) => error);
      expect(reused).toBeInstanceOf(TokenError);
      expect(reused).toMatchObject({ permanent: true, details: { oauthError: 'invalid_grant' } });
      expect((reused as Error).message).not.toContain(credentials.refreshToken!);
    });

    it.each(['refresh_token_reused', 'refresh_token_expired', 'refresh_token_invalidated'])(
      "takes OpenAI's %s answer as a dead grant",
      async (code) => {
        const credentials = await loggedIn();
        fake.failNextToken(401, { error: { code, message: 'Your refresh token has already been used to generate a new access token.' } });
        await expect(codexProvider.refresher(settings(), upstreamFetch)(credentials)).rejects.toMatchObject({
          permanent: true,
          details: { status: 401, oauthError: code },
        });
      },
    );

    it('keeps the grant when the token endpoint is only unavailable', async () => {
      const credentials = await loggedIn();
      fake.failNextToken(503);
      await expect(codexProvider.refresher(settings(), upstreamFetch)(credentials)).rejects.toMatchObject({ permanent: false });
    });
  });
});

// ---------------------------------------------------------------------------------------
// The Responses endpoint.

const sse = (data: Record<string, unknown>) => `event: ${String(data.type)}\ndata: ${JSON.stringify(data)}\n\n`;
const CREATED = sse({ type: 'response.created', response: { id: 'resp_1', model: 'gpt-5-codex', created_at: 1, status: 'in_progress', output: [] } });
const IN_PROGRESS = sse({ type: 'response.in_progress', response: { id: 'resp_1', status: 'in_progress', output: [] } });
const RATE_LIMITS = sse({ type: 'codex.rate_limits', primary: { used_percent: 12 } });
const ITEM_ADDED = sse({ type: 'response.output_item.added', output_index: 0, item: { type: 'message', id: 'msg_1', content: [] } });
const DELTA = sse({ type: 'response.output_text.delta', output_index: 0, content_index: 0, delta: 'Hello' });
const ITEM_DONE = sse({
  type: 'response.output_item.done',
  output_index: 0,
  item: { type: 'message', id: 'msg_1', role: 'assistant', content: [{ type: 'output_text', text: 'Hello' }] },
});
const COMPLETED = sse({ type: 'response.completed', response: { id: 'resp_1', status: 'completed', output: [], usage: { input_tokens: 3, output_tokens: 1 } } });
const SSE_HEADERS = { 'content-type': 'text/event-stream; charset=utf-8' };

const CREDENTIAL: MemberCredential = { secret: 'chatgpt-access-token', extra: { accountId: 'acct-123', planType: 'pro' } };

describe('codex upstream', () => {
  let upstream: FakeUpstream;

  beforeEach(async () => {
    upstream = await startFakeUpstream(() => ({ headers: SSE_HEADERS, body: CREATED + ITEM_ADDED + DELTA + ITEM_DONE + COMPLETED }));
  });
  afterEach(() => upstream.close());

  const settings = () => subscriptionSettings('codex', { endpoints: { api: `${upstream.url}/backend-api/codex` } });
  const send = (body: Record<string, unknown>, overrides: Partial<UpstreamCall> = {}) =>
    codexProvider.adapter(settings()).send({
      model: 'gpt-5-codex',
      stream: false,
      body: JSON.stringify(body),
      credential: CREDENTIAL,
      fetch: upstreamFetch,
      signal: new AbortController().signal,
      ...overrides,
    });

  it('posts to /responses with the account and Codex client headers, and a body the endpoint takes', async () => {
    const response = await send({
      model: 'gpt-5-codex',
      input: [{ role: 'user', content: 'hi' }],
      stream: false,
      store: true,
      max_output_tokens: 100,
      prompt_cache_retention: '24h',
      safety_identifier: 'who',
      stream_options: { include_obfuscation: false },
      reasoning: { effort: 'high', summary: 'auto' },
      include: ['message.output_text.logprobs'],
      prompt_cache_key: 'conversation-42',
      tool_choice: 'auto',
    });
    await response.text();

    const request = upstream.requests[0]!;
    expect(request.method).toBe('POST');
    expect(request.url).toBe('/backend-api/codex/responses');
    expect(request.headers).toMatchObject({
      authorization: 'Bearer chatgpt-access-token',
      'chatgpt-account-id': 'acct-123',
      originator: IDENTITY.originator,
      'user-agent': IDENTITY['user-agent'],
      accept: 'text/event-stream',
      'content-type': 'application/json',
      'openai-beta': 'responses=experimental',
      session_id: 'conversation-42',
    });
    expect(JSON.parse(request.body)).toEqual({
      model: 'gpt-5-codex',
      input: [{ role: 'user', content: 'hi' }],
      stream: true,
      store: false,
      instructions: '',
      reasoning: { effort: 'high', summary: 'auto' },
      include: ['message.output_text.logprobs', 'reasoning.encrypted_content'],
      prompt_cache_key: 'conversation-42',
      tool_choice: 'auto',
    });
  });

  it('keeps instructions, adds no include without reasoning, and leaves out what the account does not have', async () => {
    await (await send({ model: 'gpt-5', input: 'hi', instructions: 'Be brief.' }, { credential: { secret: 'token', extra: {} } })).text();
    const request = upstream.requests[0]!;
    expect(request.headers['chatgpt-account-id']).toBeUndefined();
    expect(request.headers.session_id).toBeUndefined();
    expect(JSON.parse(request.body)).toEqual({ model: 'gpt-5', input: 'hi', instructions: 'Be brief.', stream: true, store: false });
  });

  it('does not duplicate an include the client already asked for', async () => {
    await (await send({ model: 'gpt-5', input: 'hi', reasoning: { effort: 'low' }, include: ['reasoning.encrypted_content'] })).text();
    expect(JSON.parse(upstream.requests[0]!.body).include).toEqual(['reasoning.encrypted_content']);
  });

  it('returns an HTTP error as it came (429 usage_limit_reached)', async () => {
    const error = { error: { type: 'usage_limit_reached', message: 'The usage limit has been reached', plan_type: 'plus', resets_in_seconds: 3600 } };
    upstream.respond(() => ({ status: 429, body: JSON.stringify(error) }));
    const response = await send({ model: 'gpt-5', input: 'hi' });
    expect(response.status).toBe(429);
    expect(await response.json()).toEqual(error);
  });

  it('refuses to send without an account token', async () => {
    await expect(send({ model: 'gpt-5', input: 'hi' }, { credential: undefined })).rejects.toThrow(/account token/);
    expect(upstream.requests).toHaveLength(0);
  });

  describe('read-ahead', () => {
    it.each([
      ['after the preamble events only', CREATED + IN_PROGRESS + RATE_LIMITS],
      ['with an empty body', ''],
    ])('throws when the stream closes before its first output: %s', async (_name, body) => {
      upstream.respond(() => ({ headers: SSE_HEADERS, body }));
      await expect(send({ model: 'gpt-5', input: 'hi' })).rejects.toThrow(/closed before its first output/);
    });

    it('throws when the connection breaks before the first output', async () => {
      const server = await startGatedServer(CREATED, { breakAfterFirst: true });
      try {
        const adapter = codexProvider.adapter(subscriptionSettings('codex', { endpoints: { api: server.url } }));
        const call = { model: 'gpt-5', stream: true, body: '{"input":"hi"}', credential: CREDENTIAL, fetch: upstreamFetch, signal: new AbortController().signal };
        await expect(adapter.send(call)).rejects.toThrow();
      } finally {
        await server.close();
      }
    });

    it('resolves on an in-stream failure, which is the answer the client should see', async () => {
      const failed = sse({ type: 'response.failed', response: { status: 'failed', error: { code: 'server_error', message: 'boom' } } });
      upstream.respond(() => ({ headers: SSE_HEADERS, body: CREATED + failed }));
      const response = await send({ model: 'gpt-5', input: 'hi' });
      expect(await response.text()).toBe(CREATED + failed);
    });

    it('passes a good stream on as it arrives: what was read ahead first, then the rest', async () => {
      const head = CREATED + ITEM_ADDED;
      const tail = DELTA + ITEM_DONE + COMPLETED;
      const server = await startGatedServer(head);
      try {
        const adapter = codexProvider.adapter(subscriptionSettings('codex', { endpoints: { api: server.url } }));
        const call = { model: 'gpt-5', stream: true, body: '{"input":"hi"}', credential: CREDENTIAL, fetch: upstreamFetch, signal: new AbortController().signal };
        // Resolves while the upstream still holds back the rest of the stream.
        const response = await adapter.send(call);
        expect(response.status).toBe(200);
        expect(response.headers.get('content-type')).toContain('text/event-stream');
        const reader = response.body!.getReader();
        const decoder = new TextDecoder();
        let received = '';
        while (received.length < head.length) received += decoder.decode((await reader.read()).value, { stream: true });
        expect(received).toBe(head);

        server.release(tail);
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          received += decoder.decode(value, { stream: true });
        }
        expect(received).toBe(head + tail);
      } finally {
        await server.close();
      }
    });

    it('errors the body instead of closing it when the stream ends without response.completed', async () => {
      upstream.respond(() => ({ headers: SSE_HEADERS, body: CREATED + ITEM_ADDED + DELTA }));
      const response = await send({ model: 'gpt-5', input: 'hi' });
      await expect(response.text()).rejects.toThrow(/closed before response.completed/);
    });
  });

  describe('one JSON answer for clients that do not stream', () => {
    /** What the gateway does with a stream for a client that wants one body. */
    async function fold(response: Response) {
      const aggregator = new ResponseAggregator();
      for await (const batch of decodeUpstreamStream(response.body!, responsesOutbound)) batch.forEach((event) => aggregator.add(event));
      return responsesInbound.encodeResponse(aggregator.result(), { model: 'gpt-5-codex' }) as { output: Array<Record<string, any>> };
    }

    it.each(recordedTurns().map((turn, index) => [index + 1, turn] as const))(
      'rebuilds the output from output_item.done when response.completed brings none (recorded codex-max turn %i)',
      async (_turn, { body, done }) => {
        upstream.respond(() => ({ headers: SSE_HEADERS, body, chunkSize: 512 }));
        const { output } = await fold(await send({ model: 'gpt-5.1-codex-max', input: 'hi' }));
        expect(essentials(output)).toEqual(essentials(done));
        expect(output.length).toBeGreaterThan(0);
      },
    );

    it('fails instead of answering with a truncated body', async () => {
      upstream.respond(() => ({ headers: SSE_HEADERS, body: CREATED + ITEM_ADDED + DELTA }));
      await expect(fold(await send({ model: 'gpt-5', input: 'hi' }))).rejects.toThrow(/broke off.*response.completed/);
    });
  });
});

describe('codex model list', () => {
  let upstream: FakeUpstream;
  afterEach(() => upstream.close());

  it('asks /models with the client version and the account headers, and keeps the models the API serves', async () => {
    upstream = await startFakeUpstream(() => ({
      body: JSON.stringify({
        models: [
          { slug: 'gpt-5.5', visibility: 'list', supported_in_api: true },
          { slug: 'gpt-5.4-mini', visibility: 'list' },
          { slug: 'codex-auto-review', visibility: 'hide', supported_in_api: true },
          { slug: 'internal-only', visibility: 'none' },
          { slug: 'not-in-api', visibility: 'list', supported_in_api: false },
          { display_name: 'no slug' },
        ],
      }),
    }));
    const settings = subscriptionSettings('codex', { endpoints: { api: `${upstream.url}/backend-api/codex` } });
    const models = await codexProvider.listModels!(settings, { accessToken: 'chatgpt-access-token', extra: { accountId: 'acct-123' } }, upstreamFetch);

    expect(models).toEqual(['gpt-5.5', 'gpt-5.4-mini']);
    const request = upstream.requests[0]!;
    expect(request.method).toBe('GET');
    expect(request.url).toBe(`/backend-api/codex/models?client_version=${IDENTITY['client-version']}`);
    expect(request.headers).toMatchObject({
      authorization: 'Bearer chatgpt-access-token',
      'chatgpt-account-id': 'acct-123',
      originator: IDENTITY.originator,
      'user-agent': IDENTITY['user-agent'],
    });
  });

  it('throws on an HTTP error, without the token in the message', async () => {
    upstream = await startFakeUpstream(() => ({ status: 401, body: '{"detail":"Unauthorized"}' }));
    const settings = subscriptionSettings('codex', { endpoints: { api: upstream.url } });
    const failure = await codexProvider.listModels!(settings, { accessToken: 'chatgpt-access-token' }, upstreamFetch).catch((error: Error) => error);
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).message).toContain('401');
    expect((failure as Error).message).not.toContain('chatgpt-access-token');
  });
});

// ---------------------------------------------------------------------------------------
// Helpers.

/**
 * A loopback upstream that sends `head` at once and holds the rest back until the test
 * releases it (or, with breakAfterFirst, destroys the connection after `head`).
 */
async function startGatedServer(head: string, options: { breakAfterFirst?: boolean } = {}) {
  let release!: (tail: string) => void;
  const tail = new Promise<string>((resolve) => (release = resolve));
  const server = createServer((req, res) => {
    req.resume();
    res.writeHead(200, SSE_HEADERS);
    // Once `head` is out, the connection drops mid-body, or the rest waits for the test.
    res.write(head, () => (options.breakAfterFirst ? res.socket?.destroy() : void tail.then((rest) => res.end(rest))));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    release,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * The recorded gpt-5.1-codex-max tool loop, one stream per turn, with response.completed's
 * output emptied as the ChatGPT endpoint sends it; `done` holds the output_item.done items.
 */
function recordedTurns(): Array<{ body: string; done: Array<Record<string, any>> }> {
  const events = sseEvents(loadFixture('openai-responses/gpt-5.1-codex-max-4-turn-tool-loop.chunks.ndjson').body).map(
    (event) => JSON.parse(event.data) as Record<string, any>,
  );
  const starts = events.flatMap((event, index) => (event.type === 'response.created' ? [index] : []));
  return starts.map((start, turn) => {
    const stream = events.slice(start, starts[turn + 1]);
    const body = stream
      .map((event) => (event.type === 'response.completed' ? { ...event, response: { ...event.response, output: [] } } : event))
      .map((event) => sse(event))
      .join('');
    const done = stream.filter((event) => event.type === 'response.output_item.done').map((event) => event.item as Record<string, any>);
    return { body, done };
  });
}

/** What a client reads from output items: message text, function calls, reasoning summaries. */
function essentials(items: Array<Record<string, any>>): unknown[] {
  return items.flatMap((item): unknown[] => {
    switch (item.type) {
      case 'message':
        return [{ text: (item.content as Array<{ text?: string }>).map((part) => part.text ?? '').join('') }];
      case 'function_call':
        return [{ call: item.call_id, name: item.name, arguments: JSON.parse(item.arguments) }];
      case 'reasoning':
        return [{ reasoning: (item.summary as Array<{ text: string }>).map((part) => part.text).join('\n\n') }];
      default:
        return [];
    }
  });
}
