import { AuthError, describeDuration } from './errors.ts';
import { createPkce } from './pkce.ts';
import {
  oauthError,
  postOAuth,
  readTokenSet,
  secondsToMs,
  stringField,
  tokenFailure,
  type TokenEndpoint,
  type TokenSet,
} from './token-client.ts';

/** A provider's device authorization grant (RFC 8628), as GitHub and Qwen use it. `url` is the token endpoint. */
export interface DeviceFlowClient extends TokenEndpoint {
  deviceCodeUrl: string;
  scope?: string;
  /** Qwen's variant: a PKCE challenge with the device request, the verifier with each poll. */
  pkce?: boolean;
}

export interface DeviceCode {
  deviceCode: string;
  /** What the user types at `verificationUri`. */
  userCode: string;
  verificationUri: string;
  /** The same page with the code filled in, when the provider offers it. */
  verificationUriComplete?: string;
  /** Epoch ms. */
  expiresAt: number;
  intervalMs: number;
  /** The PKCE verifier the polls must send (`pkce: true`). */
  codeVerifier?: string;
}

export type Sleep = (ms: number) => Promise<void>;

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
/** RFC 8628 §3.2: poll every 5 s unless told otherwise. */
const DEFAULT_INTERVAL_MS = 5000;
/** RFC 8628 §3.5: each slow_down adds 5 s to the interval. */
const SLOW_DOWN_MS = 5000;
/** expires_in is required, but a provider that leaves it out should still end the wait. */
const DEFAULT_EXPIRY_MS = 15 * 60_000;

const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Asks for a device code, lets the caller show it, then polls until the user approves. */
export async function deviceLogin(
  client: DeviceFlowClient,
  options: { show: (device: DeviceCode) => void | Promise<void>; sleep?: Sleep },
): Promise<TokenSet> {
  const device = await requestDeviceCode(client);
  await options.show(device);
  return pollForToken(client, device, options.sleep);
}

export async function requestDeviceCode(client: DeviceFlowClient): Promise<DeviceCode> {
  const pkce = client.pkce ? createPkce() : undefined;
  const params = {
    ...(client.scope ? { scope: client.scope } : {}),
    ...(pkce ? { code_challenge: pkce.challenge, code_challenge_method: pkce.method } : {}),
  };
  const requestedAt = Date.now();
  const response = await postOAuth(client, client.deviceCodeUrl, params, 'device code request');
  const { body } = response;
  const deviceCode = stringField(body, 'device_code');
  const userCode = stringField(body, 'user_code');
  // Google spells it verification_url.
  const verificationUri = stringField(body, 'verification_uri') ?? stringField(body, 'verification_url');
  if (response.status > 299 || !deviceCode || !userCode || !verificationUri) {
    throw tokenFailure(client.deviceCodeUrl, 'device code request', response);
  }
  return {
    deviceCode,
    userCode,
    verificationUri,
    verificationUriComplete: stringField(body, 'verification_uri_complete'),
    expiresAt: requestedAt + (secondsToMs(body.expires_in) ?? DEFAULT_EXPIRY_MS),
    intervalMs: secondsToMs(body.interval) ?? DEFAULT_INTERVAL_MS,
    codeVerifier: pkce?.verifier,
  };
}

/**
 * Polls the token endpoint at the device code's interval until the user approves.
 * `authorization_pending` waits, `slow_down` adds 5 s (or takes the provider's new
 * interval when larger); expiry and denial end the login with an AuthError, any other
 * failure (network included) with a TokenError.
 */
export async function pollForToken(client: DeviceFlowClient, device: DeviceCode, sleep: Sleep = realSleep): Promise<TokenSet> {
  const params = {
    grant_type: DEVICE_GRANT,
    device_code: device.deviceCode,
    ...(device.codeVerifier ? { code_verifier: device.codeVerifier } : {}),
  };
  let intervalMs = device.intervalMs;
  for (;;) {
    await sleep(intervalMs);
    if (Date.now() >= device.expiresAt) throw expired();
    const issuedAt = Date.now();
    // GitHub reports pending and slow_down with status 200, RFC 8628 with 400: read the body either way.
    const response = await postOAuth(client, client.url, params, 'device login');
    const tokens = readTokenSet(response, issuedAt);
    if (tokens) return tokens;
    switch (oauthError(response.body).code) {
      case 'authorization_pending':
        continue;
      case 'slow_down':
        intervalMs = Math.max(intervalMs + SLOW_DOWN_MS, secondsToMs(response.body.interval) ?? 0);
        continue;
      case 'expired_token':
        throw expired();
      case 'access_denied':
        throw new AuthError('access_denied', 'the device login was denied in the browser, so nothing was saved — run the login again to retry');
    }
    throw tokenFailure(client.url, 'device login', response);
  }
}

/** What to tell the user, e.g. "Open https://github.com/login/device and enter the code ABCD-1234 (expires in 15 minutes)." */
export function deviceCodeMessage(device: DeviceCode, now = Date.now()): string {
  const expiry = `expires in ${describeDuration(Math.max(0, device.expiresAt - now))}`;
  return device.verificationUriComplete
    ? `Open ${device.verificationUriComplete} and check that it shows the code ${device.userCode} (${expiry}).`
    : `Open ${device.verificationUri} and enter the code ${device.userCode} (${expiry}).`;
}

function expired(): AuthError {
  return new AuthError('expired_token', 'the device code expired before the login was approved — run the login again for a new code');
}
