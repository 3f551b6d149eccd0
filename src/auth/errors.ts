import { CliError } from '../cli/output.ts';

/** What went wrong in a login, for callers that react differently (and for tests). */
export type AuthErrorCode =
  | 'port_in_use'
  | 'timeout'
  | 'cancelled'
  | 'state_mismatch'
  | 'access_denied'
  | 'authorization_error'
  | 'invalid_redirect'
  | 'expired_token'
  | 'token_error';

/**
 * A login that cannot go on. A CliError, so `llm-mux login` prints it as one red line;
 * the message says what to do next.
 */
export class AuthError extends CliError {
  constructor(readonly code: AuthErrorCode, message: string) {
    super(message);
    this.name = 'AuthError';
  }
}

/**
 * A token endpoint call that failed. `permanent` means the provider itself refused the
 * grant (invalid_grant, revoked or reused refresh token…): asking again will not help, the
 * account needs a new login. Otherwise (network, timeout, 5xx, 429) retry later.
 */
export class TokenError extends AuthError {
  constructor(
    message: string,
    readonly permanent: boolean,
    readonly details: { status?: number; oauthError?: string } = {},
  ) {
    super('token_error', message);
    this.name = 'TokenError';
  }
}

/** A wait for a person to read: "90 seconds", "5 minutes", "250 ms". */
export function describeDuration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 120_000) {
    const seconds = Math.round(ms / 1000);
    return `${seconds} second${seconds === 1 ? '' : 's'}`;
  }
  return `${Math.round(ms / 60_000)} minutes`;
}
