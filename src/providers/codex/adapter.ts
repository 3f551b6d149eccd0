import { isRecord } from '../../core/json.ts';
import type { SubscriptionSettings } from '../subscription.ts';
import type { UpstreamAdapter } from '../upstream.ts';
import { guardResponsesStream } from './stream-guard.ts';

type CodexSettings = SubscriptionSettings<'codex'>;

/** Responses parameters the ChatGPT endpoint refuses (400 "Unsupported parameter"). */
const UNSUPPORTED_PARAMETERS = ['max_output_tokens', 'prompt_cache_retention', 'safety_identifier', 'stream_options'];
/** With `store: false`, reasoning can only be carried to the next turn encrypted. */
const ENCRYPTED_REASONING = 'reasoning.encrypted_content';

/**
 * The headers that identify a ChatGPT account and the Codex client; shared by generation
 * and the model list. An account whose id_token named no ChatGPT account goes without
 * `chatgpt-account-id`.
 */
export function accountHeaders(settings: CodexSettings, token: string, extra: Readonly<Record<string, string>> = {}): Record<string, string> {
  return {
    authorization: `Bearer ${token}`,
    ...(extra.accountId ? { 'chatgpt-account-id': extra.accountId } : {}),
    originator: settings.identity.originator,
    'user-agent': settings.identity['user-agent'],
  };
}

/**
 * A Responses request as the ChatGPT endpoint takes it: always streamed, never stored,
 * `instructions` present, the parameters it refuses removed, and encrypted reasoning
 * asked for whenever reasoning is.
 */
export function codexBody(request: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const body: Record<string, unknown> = { ...request, stream: true, store: false, instructions: request.instructions ?? '' };
  for (const key of UNSUPPORTED_PARAMETERS) delete body[key];
  if (request.reasoning !== undefined && request.reasoning !== null) body.include = withEncryptedReasoning(request.include);
  return body;
}

function withEncryptedReasoning(include: unknown): string[] {
  const listed = Array.isArray(include) ? include.filter((entry): entry is string => typeof entry === 'string') : [];
  return listed.includes(ENCRYPTED_REASONING) ? listed : [...listed, ENCRYPTED_REASONING];
}

/**
 * `POST {api}/responses` with the Codex client's headers. The conversation's
 * prompt_cache_key doubles as its `session_id`, as Codex sends both. Success is always a
 * stream, read ahead to its first output (see guardResponsesStream); HTTP errors (429
 * usage_limit_reached…) and anything that is not a stream are returned as they came.
 */
export function codexAdapter(settings: CodexSettings): UpstreamAdapter {
  return {
    async send(call) {
      if (!call.credential) throw new Error('a ChatGPT subscription request needs an account token');
      const request = parseObject(call.body);
      const sessionId = typeof request.prompt_cache_key === 'string' ? request.prompt_cache_key : undefined;
      const response = await call.fetch(`${settings.endpoints.api}/responses`, {
        method: 'POST',
        headers: {
          ...accountHeaders(settings, call.credential.secret, call.credential.extra),
          'content-type': 'application/json',
          accept: 'text/event-stream',
          'openai-beta': settings.identity['openai-beta'],
          ...(sessionId ? { session_id: sessionId } : {}),
        },
        body: JSON.stringify(codexBody(request)),
        signal: call.signal,
      });
      return response.ok && isEventStream(response) ? guardResponsesStream(response) : response;
    },
  };
}

function isEventStream(response: Response): boolean {
  return response.headers.get('content-type')?.includes('text/event-stream') ?? false;
}

function parseObject(body: string): Record<string, unknown> {
  const value: unknown = JSON.parse(body);
  if (!isRecord(value)) throw new Error('a Responses request body must be a JSON object');
  return value;
}
