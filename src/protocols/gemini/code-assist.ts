import { invalid } from './invalid.ts';
import type { GenerateContentResponse } from './types.ts';

/**
 * Gemini CLI's Code Assist API (cloudcode-pa `v1internal`) speaks generateContent inside
 * envelopes: the request carries model and project next to the usual body, each answer
 * (or stream element) sits under `response`. No recorded bodies exist; the shapes follow
 * gemini-cli's code_assist/converter.ts.
 */
export interface CodeAssistRequest {
  model: string;
  project?: string;
  user_prompt_id?: string;
  request: Record<string, unknown>;
}

export interface CodeAssistResponse {
  response: GenerateContentResponse;
  traceId?: string;
}

/** A client's envelope → the model (in place of the URL's) and the generateContent body. */
export function unwrapCodeAssistRequest(body: unknown): { model: string; project?: string; userPromptId?: string; request: unknown } {
  const envelope = body as Partial<CodeAssistRequest> | null;
  if (envelope === null || typeof envelope !== 'object' || Array.isArray(envelope)) throw invalid('The request body must be a JSON object.');
  if (typeof envelope.model !== 'string' || envelope.model === '') throw invalid('`model` must be a non-empty string.', 'model');
  if (envelope.request === null || typeof envelope.request !== 'object') throw invalid('`request` must be an object.', 'request');
  return {
    model: envelope.model.replace(/^models\//, ''),
    ...(typeof envelope.project === 'string' ? { project: envelope.project } : {}),
    ...(typeof envelope.user_prompt_id === 'string' ? { userPromptId: envelope.user_prompt_id } : {}),
    request: envelope.request,
  };
}

/** A generateContent body → the envelope cloudcode-pa takes. */
export function wrapCodeAssistRequest(request: Record<string, unknown>, target: { model: string; project?: string; userPromptId?: string }): CodeAssistRequest {
  return {
    model: target.model,
    ...(target.project !== undefined ? { project: target.project } : {}),
    ...(target.userPromptId !== undefined ? { user_prompt_id: target.userPromptId } : {}),
    request,
  };
}

/** An answer or stream element → its envelope (use as the stream encoder's `wrap`). */
export function wrapCodeAssistResponse(response: GenerateContentResponse, traceId?: string): CodeAssistResponse {
  return { response, ...(traceId !== undefined ? { traceId } : {}) };
}

/** An envelope → the answer inside; anything else (an error body) passes unchanged. */
export function unwrapCodeAssistResponse(json: unknown): unknown {
  return json !== null && typeof json === 'object' && 'response' in json ? (json as CodeAssistResponse).response : json;
}

/** Code Assist's countTokens takes `{request: {model: "models/…", contents}}`. */
export function wrapCodeAssistCountTokens(model: string, contents: unknown[]): { request: { model: string; contents: unknown[] } } {
  return { request: { model: `models/${model}`, contents } };
}
