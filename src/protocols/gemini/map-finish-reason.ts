import type { FinishReason } from '../../core/response.ts';

/**
 * Gemini finish reasons → canonical. The filters (safety, recitation, blocklists, PII)
 * read as content_filter; a broken or unexpected function call as error; STOP, OTHER and
 * future values as a normal stop.
 */
export function finishReasonFromGemini(reason: string): FinishReason {
  switch (reason) {
    case 'MAX_TOKENS':
      return 'length';
    case 'SAFETY':
    case 'RECITATION':
    case 'LANGUAGE':
    case 'BLOCKLIST':
    case 'PROHIBITED_CONTENT':
    case 'SPII':
    case 'IMAGE_SAFETY':
    case 'IMAGE_PROHIBITED_CONTENT':
    case 'IMAGE_RECITATION':
      return 'content_filter';
    case 'MALFORMED_FUNCTION_CALL':
    case 'UNEXPECTED_TOOL_CALL':
    case 'TOO_MANY_TOOL_CALLS':
      return 'error';
    default:
      return 'stop';
  }
}

/** Gemini has no finish reason of its own for tool calls: they end with STOP. */
export function finishReasonToGemini(reason: FinishReason): string {
  switch (reason) {
    case 'length':
      return 'MAX_TOKENS';
    case 'content_filter':
      return 'SAFETY';
    case 'error':
      return 'OTHER';
    default:
      return 'STOP';
  }
}
