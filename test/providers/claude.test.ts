import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Credentials } from '../../src/accounts/types.ts';
import { claudeProvider } from '../../src/providers/claude/index.ts';
import type { UpstreamFetch } from '../../src/providers/http.ts';
import { SUBSCRIPTION_DEFAULTS, subscriptionSettings } from '../../src/providers/subscription-defaults.ts';
import type { LoginUi } from '../../src/providers/subscription.ts';
import type { UpstreamCall } from '../../src/providers/upstream.ts';
import { startFakeOAuthServer, type FakeOAuthServer } from '../support/fake-oauth-server.ts';
import { startFakeUpstream, type FakeUpstream } from '../support/fake-upstream.ts';
import { loadFixture } from '../support/fixtures.ts';

const IDENTITY = SUBSCRIPTION_DEFAULTS.claude.identity;
const PROMPT = IDENTITY['system-prompt'];
const upstreamFetch: UpstreamFetch = (url, init) => fetch(url, init);

/**
 * The terminal and the user behind it: no browser opens, so the user loads the printed
 * authorize URL in a browser of their own, then does what the script says there.
 */
function scriptedUser(script: { atConsent?: () => Promise<unknown>; paste?: () => string }) {
  const printed: string[] = [];
  let consentPage: Promise<unknown> | undefined;
  let acted: Promise<unknown> = Promise.resolve();
  const ui: LoginUi = {
    print(text) {
      printed.push(text);
      const url = /http\S+\/authorize\?\S+/.exec(text)?.[0];
      if (!url || consentPage) return;
      consentPage = fetch(url).then((page) => page.text());
      acted = consentPage.then(() => script.atConsent?.());
    },
    openBrowser: async () => false,
    spinner: () => ({ succeed: () => undefined, fail: () => undefined, stop: () => undefined }),
    async readLine() {
      if (!script.paste) return undefined;
      await consentPage;
      return script.paste();
    },
  };
  return { ui, printed, acted: () => acted };
}

describe('claude login', () => {
  let fake: FakeOAuthServer;

  beforeEach(async () => {
    fake = await startFakeOAuthServer({
      tokenEncoding: 'json',
      extraTokenFields: {
        account: { uuid: 'account-uuid-1', email_address: 'max@example.com' },
        organization: { uuid: 'org-uuid-1', name: 'Example Org' },
      },
    });
  });
  afterEach(() => fake.close());

  const settings = () =>
    subscriptionSettings('claude', {
      endpoints: { authorize: `${fake.url}/authorize`, token: `${fake.url}/token` },
      identity: { 'client-id': fake.config.clientId },
    });

  const login = (ui: LoginUi, timeoutMs?: number) =>
    claudeProvider.login({ settings: settings(), fetch: upstreamFetch, ui, noBrowser: false, timeoutMs });

  async function loggedIn(): Promise<Credentials> {
    const user = scriptedUser({ atConsent: () => fake.approve() });
    const { credentials } = await login(user.ui);
    await user.acted();
    return credentials;
  }

  it('logs in end to end: PKCE authorize URL with code=true, JSON exchange with state, account from the token response', async () => {
    const user = scriptedUser({ atConsent: () => fake.approve() });
    const result = await login(user.ui);
    const callbackPage = (await user.acted()) as Response;
    expect(callbackPage.status).toBe(200);
    expect(user.printed.join('\n')).toContain(`${fake.url}/authorize?`);

    const authorize = fake.authorizeRequests[0]!;
    expect(Object.fromEntries(authorize)).toMatchObject({
      code: 'true',
      client_id: fake.config.clientId,
      response_type: 'code',
      scope: IDENTITY.scopes,
      code_challenge_method: 'S256',
    });
    const redirectUri = new URL(authorize.get('redirect_uri')!);
    expect(redirectUri.hostname).toBe('localhost');
    expect(redirectUri.pathname).toBe('/callback');
    expect(Number(redirectUri.port)).toBeGreaterThan(0);

    const exchange = fake.tokenRequests[0]!;
    expect(exchange.encoding).toBe('json');
    expect(exchange.headers['user-agent']).toBe(IDENTITY['token-user-agent']);
    expect(exchange.headers['anthropic-beta']).toBeUndefined();
    expect(exchange.params).toMatchObject({
      grant_type: 'authorization_code',
      client_id: fake.config.clientId,
      redirect_uri: authorize.get('redirect_uri'),
      state: authorize.get('state'),
    });
    const challenge = createHash('sha256').update(exchange.params.code_verifier!).digest('base64url');
    expect(challenge).toBe(authorize.get('code_challenge'));

    expect(result.email).toBe('max@example.com');
    expect(result.credentials).toMatchObject({
      accessToken: expect.stringMatching(/^access-/),
      refreshToken: expect.stringMatching(/^refresh-/),
      extra: { 'account-uuid': 'account-uuid-1', 'organization-uuid': 'org-uuid-1' },
    });
    expect(result.credentials.expiresAt).toBe(result.credentials.issuedAt! + 3600_000);
  });

  it('refuses a redirect with another state, without exchanging any code', async () => {
    const user = scriptedUser({ atConsent: () => fake.sendWrongState() });
    await expect(login(user.ui)).rejects.toMatchObject({ code: 'state_mismatch' });
    expect(fake.counts.authorizationCode).toBe(0);
  });

  it('says so when consent is denied', async () => {
    const user = scriptedUser({ atConsent: () => fake.deny() });
    await expect(login(user.ui)).rejects.toMatchObject({ code: 'access_denied' });
    expect(fake.counts.authorizationCode).toBe(0);
  });

  it('gives up when no redirect arrives in time', async () => {
    const user = scriptedUser({});
    await expect(login(user.ui, 50)).rejects.toMatchObject({ code: 'timeout' });
    await user.acted();
    expect(fake.counts.authorizationCode).toBe(0);
  });

  it.each([
    ['the address the browser ended on', (url: URL) => url.toString()],
    ['code#state, as Anthropic’s page shows it', (url: URL) => `${url.searchParams.get('code')}#${url.searchParams.get('state')}`],
  ])('logs in with a pasted answer: %s', async (_name, pasted) => {
    const user = scriptedUser({ paste: () => pasted(new URL(fake.approvedRedirectUrl())) });
    const result = await login(user.ui);
    expect(result.email).toBe('max@example.com');
    expect(fake.tokenRequests[0]?.params.redirect_uri).toBe(fake.authorizeRequests[0]?.get('redirect_uri'));
  });

  it('refreshes with a JSON refresh_token grant and keeps the rotated refresh token', async () => {
    const first = await loggedIn();
    const refresh = claudeProvider.refresher(settings(), upstreamFetch);

    const second = await refresh(first);
    const request = fake.tokenRequests.at(-1)!;
    expect(request.encoding).toBe('json');
    expect(request.headers['user-agent']).toBe(IDENTITY['token-user-agent']);
    expect(request.params).toMatchObject({ grant_type: 'refresh_token', refresh_token: first.refreshToken, client_id: fake.config.clientId });
    expect(second.accessToken).not.toBe(first.accessToken);
    expect(second.refreshToken).not.toBe(first.refreshToken);

    // The consumed refresh token is dead: the grant is refused for good.
    await expect(refresh(first)).rejects.toMatchObject({ permanent: true });
    const third = await refresh(second);
    expect(third.refreshToken).not.toBe(second.refreshToken);
  });

  it('refuses for good to refresh an account that has no refresh token', async () => {
    const refresh = claudeProvider.refresher(settings(), upstreamFetch);
    await expect(refresh({ accessToken: 'sk-ant-oat01-old' })).rejects.toMatchObject({ permanent: true });
    expect(fake.counts.refresh).toBe(0);
  });
});

describe('claude upstream', () => {
  let upstream: FakeUpstream;

  beforeEach(async () => {
    upstream = await startFakeUpstream(() => ({ body: '{}' }));
  });
  afterEach(() => upstream.close());

  const send = (body: string, options: { stream?: boolean; token?: string | null } = {}) => {
    const adapter = claudeProvider.adapter(subscriptionSettings('claude', { endpoints: { api: `${upstream.url}/v1` } }));
    const call: UpstreamCall = {
      model: 'claude-sonnet-4-5',
      stream: options.stream ?? false,
      body,
      credential: options.token === null ? undefined : { secret: options.token ?? 'sk-ant-oat01-test', extra: {} },
      fetch: upstreamFetch,
      signal: new AbortController().signal,
    };
    return adapter.send(call);
  };

  const request = { model: 'claude-sonnet-4-5', max_tokens: 256, messages: [{ role: 'user', content: 'Hi' }], metadata: { user_id: 'u1' } };
  const identityBlock = { type: 'text', text: PROMPT };

  it('posts to /v1/messages?beta=true with the bearer token and Claude Code’s headers, and returns the answer as it came', async () => {
    const message = { id: 'msg_1', type: 'message', role: 'assistant', content: [{ type: 'text', text: 'Hello' }] };
    upstream.respond(() => ({ body: JSON.stringify(message) }));

    const response = await send(JSON.stringify(request));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual(message);

    const sent = upstream.requests[0]!;
    expect(sent.method).toBe('POST');
    expect(sent.url).toBe('/v1/messages?beta=true');
    expect(sent.headers).toMatchObject({
      authorization: 'Bearer sk-ant-oat01-test',
      'anthropic-version': IDENTITY['anthropic-version'],
      'anthropic-beta': IDENTITY['anthropic-beta'],
      'user-agent': IDENTITY['user-agent'],
      'x-app': IDENTITY['x-app'],
      'content-type': 'application/json',
      accept: 'application/json',
    });
    expect(sent.headers['x-api-key']).toBeUndefined();
  });

  it.each([
    ['absent', undefined, [identityBlock]],
    ['a string', 'Be brief.', [identityBlock, { type: 'text', text: 'Be brief.' }]],
    [
      'an array of blocks',
      [{ type: 'text', text: 'Be brief.', cache_control: { type: 'ephemeral' } }],
      [identityBlock, { type: 'text', text: 'Be brief.', cache_control: { type: 'ephemeral' } }],
    ],
  ])('puts the identity first when the system prompt is %s, and leaves the rest of the body alone', async (_name, system, expected) => {
    await send(JSON.stringify({ ...request, ...(system === undefined ? {} : { system }) }));
    const sent = JSON.parse(upstream.requests[0]!.body) as Record<string, unknown>;
    expect(sent.system).toEqual(expected);
    const { system: _system, ...rest } = sent;
    expect(rest).toEqual(request);
  });

  it.each([
    ['the identity string', PROMPT],
    ['blocks led by the identity', [identityBlock, { type: 'text', text: 'Be brief.' }]],
  ])('sends the body byte for byte when the system prompt already is %s', async (_name, system) => {
    const body = JSON.stringify({ ...request, system }, null, 2);
    await send(body);
    expect(upstream.requests[0]!.body).toBe(body);
  });

  it('asks for SSE when streaming and passes the stream through unchanged', async () => {
    const fixture = loadFixture('anthropic/haiku-4.5-text.sse');
    upstream.respond(() => ({ headers: { 'content-type': fixture.contentType }, body: fixture.body, chunkSize: 64 }));

    const response = await send(JSON.stringify({ ...request, stream: true }), { stream: true });
    expect(upstream.requests[0]!.headers.accept).toContain('text/event-stream');
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    expect(Buffer.from(await response.arrayBuffer()).equals(fixture.body)).toBe(true);
  });

  it('returns an upstream error as a response, status and rate-limit headers included', async () => {
    const fixture = loadFixture('anthropic/error-400-invalid-request.json');
    upstream.respond(() => ({
      status: 429,
      headers: { 'content-type': 'application/json', 'anthropic-ratelimit-unified-reset': '1790000000' },
      body: fixture.body,
    }));
    const response = await send(JSON.stringify(request));
    expect(response.status).toBe(429);
    expect(response.headers.get('anthropic-ratelimit-unified-reset')).toBe('1790000000');
    expect(Buffer.from(await response.arrayBuffer()).equals(fixture.body)).toBe(true);
  });

  it('rejects a call without an account token before reaching the upstream', async () => {
    await expect(send(JSON.stringify(request), { token: null })).rejects.toThrow(/account token/);
    expect(upstream.requests).toHaveLength(0);
  });
});
