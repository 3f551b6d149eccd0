// Each subscription provider's quota against a fake usage endpoint: what it sends (URL,
// token, identity headers, body) and how it reads an answer shaped like the real one
// (docs/providers.md: claude §1, codex §2, gemini-cli §3, antigravity §4, copilot §5).
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { UsableCredentials } from '../../src/accounts/tokens.ts';
import { antigravityProvider } from '../../src/providers/antigravity/index.ts';
import { claudeProvider } from '../../src/providers/claude/index.ts';
import { codexProvider } from '../../src/providers/codex/index.ts';
import { copilotProvider } from '../../src/providers/copilot/index.ts';
import { geminiCliProvider } from '../../src/providers/gemini-cli/index.ts';
import { createUpstreamFetch, type UpstreamFetch } from '../../src/providers/http.ts';
import { QuotaError } from '../../src/providers/quota.ts';
import { SUBSCRIPTION_DEFAULTS, subscriptionSettings } from '../../src/providers/subscription-defaults.ts';
import { startFakeUpstream, type CannedResponse, type FakeUpstream } from '../support/fake-upstream.ts';
import { unusedPort } from '../support/ports.ts';

let fetch: UpstreamFetch;
let upstream: FakeUpstream;

function json(body: unknown, status = 200): CannedResponse {
  return { status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

function oauth(accessToken: string, extra: Record<string, string> = {}, refreshToken?: string): UsableCredentials {
  return { accessToken, ...(refreshToken ? { refreshToken } : {}), extra };
}

/** The failure a quota call ends in. */
async function failure(promise: Promise<unknown>): Promise<QuotaError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(QuotaError);
  return error as QuotaError;
}

beforeAll(async () => {
  fetch = await createUpstreamFetch('');
});

beforeEach(async () => {
  upstream = await startFakeUpstream(() => json({ error: { message: 'no route' } }, 404));
});

afterEach(() => upstream.close());

describe('claude quota', () => {
  const settings = () => subscriptionSettings('claude', { endpoints: { usage: `${upstream.url}/api/oauth/usage` } });

  it('asks the usage endpoint with the bearer token and reads each window, leaving out null ones and extra_usage', async () => {
    upstream.respond(() =>
      json({
        five_hour: { utilization: 37.0, resets_at: '2026-09-14T19:40:00.512345+00:00' },
        seven_day: { utilization: 10.0, resets_at: '2026-09-19T08:00:00.512345+00:00' },
        seven_day_oauth_apps: null,
        seven_day_opus: { utilization: 0.0, resets_at: null },
        seven_day_sonnet: null,
        extra_usage: { is_enabled: false, monthly_limit: null, used_credits: null, utilization: null },
      }),
    );
    const report = await claudeProvider.quota!(settings(), oauth('sk-ant-oat01-access'), fetch);

    expect(report).toEqual({
      windows: [
        { name: 'five_hour', remainingFraction: 0.63, resetsAt: '2026-09-14T19:40:00.512Z' },
        { name: 'seven_day', remainingFraction: 0.9, resetsAt: '2026-09-19T08:00:00.512Z' },
        { name: 'seven_day_opus', remainingFraction: 1 },
      ],
    });
    const [request] = upstream.requests;
    expect(request).toMatchObject({ method: 'GET', url: '/api/oauth/usage' });
    expect(request!.headers).toMatchObject({
      authorization: 'Bearer sk-ant-oat01-access',
      'anthropic-beta': 'oauth-2025-04-20',
      'user-agent': SUBSCRIPTION_DEFAULTS.claude.identity['user-agent'],
    });
  });

  it('fails with the upstream status and message, never the token', async () => {
    upstream.respond(() => json({ type: 'error', error: { type: 'permission_error', message: 'OAuth token does not meet scope requirement user:profile' } }, 403));
    const error = await failure(claudeProvider.quota!(settings(), oauth('sk-ant-oat01-access'), fetch));
    expect(error.upstreamStatus).toBe(403);
    expect(error.message).toBe("Claude's usage endpoint answered HTTP 403: OAuth token does not meet scope requirement user:profile");
  });

  it('fails without a status when the endpoint cannot be reached', async () => {
    const offline = subscriptionSettings('claude', { endpoints: { usage: `http://127.0.0.1:${await unusedPort()}/api/oauth/usage` } });
    const error = await failure(claudeProvider.quota!(offline, oauth('sk-ant-oat01-access'), fetch));
    expect(error.upstreamStatus).toBeUndefined();
    expect(error.message).toBe("Claude's usage endpoint could not be reached (ECONNREFUSED)");
  });
});

describe('codex quota', () => {
  const settings = () => subscriptionSettings('codex', { endpoints: { usage: `${upstream.url}/backend-api/wham/usage` } });

  it('asks wham/usage with the account headers and names each window by its length', async () => {
    const now = Math.floor(Date.now() / 1000);
    upstream.respond(() =>
      json({
        user_id: 'user-1',
        account_id: 'acct-123',
        email: 'me@example.com',
        plan_type: 'plus',
        rate_limit: {
          allowed: true,
          limit_reached: false,
          primary_window: { used_percent: 6, limit_window_seconds: 18000, reset_after_seconds: 9000, reset_at: 1_800_000_000 },
          secondary_window: { used_percent: 24, limit_window_seconds: 604800, reset_after_seconds: 3600 },
        },
        code_review_rate_limit: { allowed: true, limit_reached: false, primary_window: { used_percent: 0, limit_window_seconds: 604800, reset_at: 1_800_500_000 }, secondary_window: null },
        additional_rate_limits: [
          { limit_name: 'GPT-5.3-Codex-Spark', metered_feature: 'codex_bengalfox', rate_limit: { primary_window: { used_percent: 100, limit_window_seconds: 18000, reset_at: 1_800_000_100 } } },
        ],
        credits: { has_credits: true, unlimited: false, balance: '5.39' },
      }),
    );
    const report = await codexProvider.quota!(settings(), oauth('chatgpt-access', { accountId: 'acct-123', planType: 'plus' }), fetch);

    expect(report.plan).toBe('plus');
    expect(report.windows.map(({ resetsAt, ...window }) => window)).toEqual([
      { name: '5h', remainingFraction: 0.94 },
      { name: '7d', remainingFraction: 0.76 },
      { name: 'code_review 7d', remainingFraction: 1 },
      { name: 'GPT-5.3-Codex-Spark 5h', remainingFraction: 0 },
      { name: 'credits', remaining: 5.39 },
    ]);
    expect(report.windows[0]!.resetsAt).toBe('2027-01-15T08:00:00.000Z');
    // No reset_at: reset_after_seconds counts from now.
    const weekly = Date.parse(report.windows[1]!.resetsAt!) / 1000;
    expect(weekly).toBeGreaterThanOrEqual(now + 3600 - 1);
    expect(weekly).toBeLessThanOrEqual(now + 3600 + 60);

    const [request] = upstream.requests;
    expect(request).toMatchObject({ method: 'GET', url: '/backend-api/wham/usage' });
    expect(request!.headers).toMatchObject({
      authorization: 'Bearer chatgpt-access',
      'chatgpt-account-id': 'acct-123',
      originator: SUBSCRIPTION_DEFAULTS.codex.identity.originator,
      'user-agent': SUBSCRIPTION_DEFAULTS.codex.identity['user-agent'],
    });
  });

  it('reads what it can of an answer whose fields are missing or of the wrong type', async () => {
    upstream.respond(() => json({ rate_limit: { primary_window: { used_percent: 'lots' }, secondary_window: { used_percent: 50 } }, additional_rate_limits: 'none', credits: { unlimited: true } }));
    const report = await codexProvider.quota!(settings(), oauth('chatgpt-access'), fetch);
    expect(report).toEqual({ windows: [{ name: 'secondary', remainingFraction: 0.5 }, { name: 'credits', unlimited: true }] });
    expect(upstream.requests[0]!.headers['chatgpt-account-id']).toBeUndefined();
  });

  it('fails on a non-JSON answer', async () => {
    upstream.respond(() => ({ status: 200, headers: { 'content-type': 'text/html' }, body: '<html>Just a moment…</html>' }));
    const error = await failure(codexProvider.quota!(settings(), oauth('chatgpt-access'), fetch));
    expect(error.message).toBe("ChatGPT's usage endpoint answered something that is not a JSON object");
  });
});

describe('copilot quota', () => {
  const settings = () => subscriptionSettings('copilot', { endpoints: { quota: `${upstream.url}/copilot_internal/user` } });
  const credentials = () => oauth('tid=copilot-token', { apiBase: 'https://api.individual.githubcopilot.com' }, 'gho_github-token');

  it('asks copilot_internal/user with the GitHub token and reads the quota snapshots', async () => {
    upstream.respond(() =>
      json({
        login: 'octocat',
        access_type_sku: 'plus_monthly_subscriber_quota',
        copilot_plan: 'individual_pro',
        quota_reset_date: '2026-10-01',
        quota_snapshots: {
          chat: { entitlement: 0, overage_count: 0, overage_permitted: false, percent_remaining: 100.0, quota_id: 'chat', quota_remaining: 0.0, remaining: 0, unlimited: true },
          completions: { entitlement: 0, overage_count: 0, overage_permitted: false, percent_remaining: 100.0, quota_id: 'completions', quota_remaining: 0.0, remaining: 0, unlimited: true },
          premium_interactions: { entitlement: 1500, overage_count: 0, overage_permitted: true, percent_remaining: 65.3, quota_id: 'premium_interactions', quota_remaining: 979.5, remaining: 979, unlimited: false },
        },
      }),
    );
    const report = await copilotProvider.quota!(settings(), credentials(), fetch);

    expect(report).toEqual({
      plan: 'individual_pro',
      windows: [
        { name: 'chat', unlimited: true },
        { name: 'completions', unlimited: true },
        { name: 'premium_interactions', remainingFraction: 0.653, remaining: 979, limit: 1500, resetsAt: '2026-10-01T00:00:00.000Z' },
      ],
    });
    const [request] = upstream.requests;
    expect(request).toMatchObject({ method: 'GET', url: '/copilot_internal/user' });
    expect(request!.headers).toMatchObject({ authorization: 'token gho_github-token', 'user-agent': SUBSCRIPTION_DEFAULTS.copilot.identity['user-agent'] });
  });

  it("reads the free plan's monthly counts", async () => {
    upstream.respond(() =>
      json({ access_type_sku: 'free_limited_copilot', monthly_quotas: { chat: 50, completions: 2000 }, limited_user_quotas: { chat: 10, completions: 1500 }, limited_user_reset_date: '2026-10-05' }),
    );
    const report = await copilotProvider.quota!(settings(), credentials(), fetch);
    expect(report).toEqual({
      plan: 'free_limited_copilot',
      windows: [
        { name: 'chat', remainingFraction: 0.2, remaining: 10, limit: 50, resetsAt: '2026-10-05T00:00:00.000Z' },
        { name: 'completions', remainingFraction: 0.75, remaining: 1500, limit: 2000, resetsAt: '2026-10-05T00:00:00.000Z' },
      ],
    });
  });

  it('fails with the status GitHub answers', async () => {
    upstream.respond(() => json({ message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' }, 401));
    const error = await failure(copilotProvider.quota!(settings(), credentials(), fetch));
    expect(error.upstreamStatus).toBe(401);
    expect(error.message).toBe("GitHub's Copilot user endpoint answered HTTP 401: Bad credentials");
  });
});

describe('gemini-cli quota', () => {
  const settings = () => subscriptionSettings('gemini-cli', { endpoints: { api: upstream.url } });

  it("posts retrieveUserQuota for the account's project and reads one window per bucket", async () => {
    upstream.respond(() =>
      json({
        buckets: [
          { remainingAmount: '1440', remainingFraction: 0.96, resetTime: '2026-09-15T07:00:00Z', tokenType: 'REQUESTS', modelId: 'gemini-2.5-pro' },
          { remainingFraction: 1, resetTime: '2026-09-15T07:00:00Z', tokenType: 'REQUESTS', modelId: 'gemini-2.5-flash' },
          { remainingFraction: 0.5, tokenType: 'INPUT_TOKENS', modelId: 'gemini-2.5-flash' },
          { remainingFraction: 0.5 },
        ],
      }),
    );
    const report = await geminiCliProvider.quota!(settings(), oauth('ya29.access', { project: 'proj-123' }), fetch);

    expect(report).toEqual({
      windows: [
        { name: 'gemini-2.5-pro', remainingFraction: 0.96, remaining: 1440, resetsAt: '2026-09-15T07:00:00.000Z' },
        { name: 'gemini-2.5-flash', remainingFraction: 1, resetsAt: '2026-09-15T07:00:00.000Z' },
        { name: 'gemini-2.5-flash input_tokens', remainingFraction: 0.5 },
      ],
    });
    const [request] = upstream.requests;
    expect(request).toMatchObject({ method: 'POST', url: '/v1internal:retrieveUserQuota' });
    expect(JSON.parse(request!.body)).toEqual({ project: 'proj-123' });
    expect(request!.headers).toMatchObject({ authorization: 'Bearer ya29.access', 'user-agent': expect.stringMatching(/^GeminiCLI\/[\d.]+\/gemini-2\.5-pro /) });
  });
});

describe('antigravity quota', () => {
  let production: FakeUpstream;
  beforeEach(async () => {
    production = await startFakeUpstream(() => json({}, 500));
  });
  afterEach(() => production.close());

  const settings = () => subscriptionSettings('antigravity', { endpoints: { daily: upstream.url, production: production.url } });

  it("reads each model's quotaInfo from fetchAvailableModels, falling back to production; a missing fraction is a used-up quota", async () => {
    upstream.respond(() => json({ error: { code: 503, message: 'unavailable', status: 'UNAVAILABLE' } }, 503));
    production.respond(() =>
      json({
        models: {
          'gemini-3-pro-high': { displayName: 'Gemini 3 Pro (High)', quotaInfo: { remainingFraction: 0.8, resetTime: '2026-09-14T20:11:07Z' } },
          'claude-sonnet-4-5': { displayName: 'Claude Sonnet 4.5', quotaInfo: { resetTime: '2026-09-14T23:00:00Z' } },
          'gemini-2.5-flash': { displayName: 'Gemini 2.5 Flash' },
          chat_20706: { quotaInfo: { remainingFraction: 1 } },
        },
      }),
    );
    const report = await antigravityProvider.quota!(settings(), oauth('ya29.ag', { project: 'ag-proj' }), fetch);

    expect(report).toEqual({
      windows: [
        { name: 'gemini-3-pro-high', remainingFraction: 0.8, resetsAt: '2026-09-14T20:11:07.000Z' },
        { name: 'claude-sonnet-4-5', remainingFraction: 0, resetsAt: '2026-09-14T23:00:00.000Z' },
      ],
    });
    expect(upstream.requests).toHaveLength(1);
    const [request] = production.requests;
    expect(request).toMatchObject({ method: 'POST', url: '/v1internal:fetchAvailableModels' });
    expect(JSON.parse(request!.body)).toEqual({ project: 'ag-proj' });
    expect(request!.headers.authorization).toBe('Bearer ya29.ag');
  });

  it('fails with the status of the last host', async () => {
    upstream.respond(() => json({}, 500));
    production.respond(() => json({ error: { code: 403, message: 'The caller does not have permission', status: 'PERMISSION_DENIED' } }, 403));
    const error = await failure(antigravityProvider.quota!(settings(), oauth('ya29.ag', { project: 'ag-proj' }), fetch));
    expect(error.upstreamStatus).toBe(403);
    expect(error.message).toBe("Antigravity's model list answered HTTP 403: The caller does not have permission");
  });
});
