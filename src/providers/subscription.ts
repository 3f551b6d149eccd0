/**
 * Subscription providers: upstreams reached with an OAuth login to a plan the user pays
 * for (Claude Pro/Max, ChatGPT via Codex, Gemini Code Assist, Antigravity, Copilot,
 * Qwen). Each lives in src/providers/<id>/ and gives the gateway three things: its login
 * flow, its token refresh, and an UpstreamAdapter with the URL, headers, envelope and
 * quirks its API needs. What identifies the client (ids, user agents, versions) and every
 * endpoint come from ./subscription-defaults.ts and can be overridden in config.yaml.
 */
import type { Credentials } from '../accounts/types.ts';
import type { RefreshFn, UsableCredentials } from '../accounts/tokens.ts';
import type { Protocol } from '../core/protocol.ts';
import type { UpstreamFetch } from './http.ts';
import type { SubscriptionId, SubscriptionSettings } from './subscription-defaults.ts';
import type { UpstreamAdapter } from './upstream.ts';

export type { SubscriptionId, SubscriptionSettings } from './subscription-defaults.ts';

/** What a login flow needs from the terminal; the CLI gives the real one, tests a scripted one. */
export interface LoginUi {
  /** A line for the user (URLs, codes, hints), on stdout. */
  print(text: string): void;
  /** Opens a URL in the system browser; false when there is none (SSH, headless). */
  openBrowser(url: string): Promise<boolean>;
  /** Shows a spinner while the user acts elsewhere; returns how to end it. */
  spinner(text: string): { succeed(text: string): void; fail(text: string): void; stop(): void };
  /**
   * A line the user pastes (the redirect URL when the callback port cannot be reached),
   * or undefined when stdin can give none (closed, not interactive and empty).
   */
  readLine(question: string): Promise<string | undefined>;
}

export interface LoginContext<Id extends SubscriptionId = SubscriptionId> {
  settings: SubscriptionSettings<Id>;
  fetch: UpstreamFetch;
  ui: LoginUi;
  /** `--no-browser`: print the URL instead of opening it, and offer the paste prompt. */
  noBrowser: boolean;
  /** `--project` (Gemini Code Assist): the Google Cloud project to use. */
  project?: string;
  /** How long to wait for the browser or the device approval; default 5 minutes (device flows: the code's own expiry). */
  timeoutMs?: number;
}

/** A finished login: what to store and how to name the account. */
export interface LoginResult {
  credentials: Credentials;
  /** The account's e-mail, or login / id where the provider has no e-mail; shown in `llm-mux accounts`. */
  email?: string;
}

/** One limit of a plan: a rolling window, a monthly allowance, a model's share. */
export interface QuotaWindow {
  /** As the provider names it: `five_hour`, `premium_interactions`, `5h`, a model id. */
  name: string;
  /** How much of it is left, 0–1. */
  remainingFraction?: number;
  /** What is left and the whole allowance, in the provider's unit (requests, credits), where it counts them. */
  remaining?: number;
  limit?: number;
  /** The plan sets no cap here. */
  unlimited?: boolean;
  /** When it fills up again (ISO time). */
  resetsAt?: string;
}

/** What a provider's usage endpoint says is left of an account's plan. */
export interface QuotaReport {
  /** The plan's name where the provider says it (`plus`, `individual_pro`). */
  plan?: string;
  windows: QuotaWindow[];
}

export interface SubscriptionProvider<Id extends SubscriptionId = SubscriptionId> {
  readonly id: Id;
  /** For people: "Claude (Pro/Max)". */
  readonly label: string;
  /** The protocol of the bodies its API takes (before any envelope). */
  readonly protocol: Protocol;
  /** Models offered when config lists none and the upstream has no list endpoint (or it failed). */
  readonly models: readonly string[];
  /** Runs the login; throws AuthError / TokenError with a message that says what to do. */
  login(context: LoginContext<Id>): Promise<LoginResult>;
  /** Renews an account's access token (throws TokenError, `permanent` when the grant is dead). */
  refresher(settings: SubscriptionSettings<Id>, fetch: UpstreamFetch): RefreshFn;
  /** How a request reaches its API. */
  adapter(settings: SubscriptionSettings<Id>): UpstreamAdapter;
  /** The models an account can use, from the upstream's list endpoint, where there is one. */
  listModels?(settings: SubscriptionSettings<Id>, credentials: Credentials, fetch: UpstreamFetch): Promise<string[]>;
  /** What is left of the account's plan, from the provider's usage endpoint, where there is one. Throws QuotaError (./quota.ts). */
  quota?(settings: SubscriptionSettings<Id>, credentials: UsableCredentials, fetch: UpstreamFetch): Promise<QuotaReport>;
}
