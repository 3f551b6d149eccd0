import { AuthError } from '../../auth/errors.ts';
import { isRecord, parseJsonRecord } from '../../core/json.ts';
import { fetchFailureReason, type UpstreamFetch } from '../http.ts';

/** The Cloud Code `v1internal` calls a login makes (loadCodeAssist, onboardUser, operation polls). */
export interface CloudCodeClient {
  /** `POST <api>/v1internal:<method>`. */
  call(method: string, body: unknown): Promise<Record<string, unknown>>;
  /** `GET <api>/v1internal/<name>`: a long-running operation. */
  operation(name: string): Promise<Record<string, unknown>>;
}

export interface CloudCodeClientOptions {
  /** e.g. https://cloudcode-pa.googleapis.com */
  api: string;
  accessToken: string;
  /** The client's identity headers (user-agent, x-goog-api-client). */
  headers: Record<string, string>;
  fetch: UpstreamFetch;
}

const SETUP_TIMEOUT_MS = 30_000;

/** Answers come back as JSON objects; anything else ends the login with an AuthError that says what failed. */
export function cloudCodeClient(options: CloudCodeClientOptions): CloudCodeClient {
  const request = (url: string, step: string, init: { method: string; body?: string }) =>
    requestJson(options.fetch, url, step, {
      ...init,
      headers: { authorization: `Bearer ${options.accessToken}`, 'content-type': 'application/json', accept: 'application/json', ...options.headers },
      signal: AbortSignal.timeout(SETUP_TIMEOUT_MS),
    });
  return {
    call: (method, body) => request(`${options.api}/v1internal:${method}`, method, { method: 'POST', body: JSON.stringify(body) }),
    operation: (name) => request(`${options.api}/v1internal/${name}`, 'the onboarding operation', { method: 'GET' }),
  };
}

async function requestJson(fetch: UpstreamFetch, url: string, step: string, init: RequestInit): Promise<Record<string, unknown>> {
  const host = new URL(url).host;
  let response: Response;
  try {
    response = await fetch(url, init);
  } catch (error) {
    throw new AuthError('authorization_error', `${step} could not reach ${host} (${fetchFailureReason(error)}) — check the network and try again`);
  }
  const text = await response.text();
  const body = parseJsonRecord(text);
  if (!response.ok) {
    throw new AuthError('authorization_error', `${step} failed at ${host}: HTTP ${response.status}${describeGoogleError(body)}`);
  }
  if (!body) throw new AuthError('authorization_error', `${step} at ${host} answered something that is not JSON`);
  return body;
}

/** `: <message> (<help links>)` from a google.rpc error body, or nothing. */
export function describeGoogleError(body: Record<string, unknown> | undefined): string {
  const error = body?.error;
  if (!isRecord(error)) return '';
  const message = typeof error.message === 'string' ? error.message : '';
  const links = (Array.isArray(error.details) ? error.details : [])
    .flatMap((detail: unknown) => (isRecord(detail) && Array.isArray(detail.links) ? detail.links : []))
    .map((link: unknown) => (isRecord(link) && typeof link.url === 'string' ? link.url : undefined))
    .filter((url): url is string => url !== undefined);
  const help = links.length > 0 ? ` (see ${links.join(', ')})` : '';
  return message || help ? `: ${message}${help}` : '';
}
