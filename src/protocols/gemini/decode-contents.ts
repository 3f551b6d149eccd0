import type { ImagePart, Message, Part, ReasoningSignature, TextPart, ToolCallPart } from '../../core/request.ts';
import { untagSignature } from '../signature-tag.ts';
import { positionalCallId } from './call-ids.ts';
import { invalid } from './invalid.ts';
import type { GeminiBlob, GeminiContent, GeminiFunctionCall, GeminiFunctionResponse, GeminiPart } from './types.ts';
import { isRecord } from '../../core/json.ts';

/** A function call waiting for its functionResponse. */
interface PendingCall {
  id: string;
  name: string;
}

/**
 * `contents` → canonical turns. Calls without an id get one from their position, so a
 * resent history keeps its ids; each functionResponse takes the id of the call it answers:
 * the one with its id, else the earliest unanswered call of that name (Gemini pairs by
 * order and name; Gemini CLI sends ids of its own that match nothing).
 */
export function decodeContents(contents: unknown): Message[] {
  if (!Array.isArray(contents) || contents.length === 0) throw invalid('`contents` must be a non-empty array.', 'contents');
  const pending: PendingCall[] = [];
  return contents.flatMap((value, index) => {
    const where = `contents[${index}]`;
    const content = asObject(value, where) as GeminiContent;
    const role = decodeRole(content.role, where);
    if (!Array.isArray(content.parts)) throw invalid(`${where}.parts must be an array.`, `${where}.parts`);
    const parts = joinForeignThinking(
      content.parts.flatMap((part, position) =>
        decodePart(asObject(part, `${where}.parts[${position}]`) as GeminiPart, `${where}.parts[${position}]`, {
          callId: positionalCallId(index, position),
          pending,
        }),
      ),
    );
    return parts.length > 0 ? [{ role, content: parts }] : [];
  });
}

/** systemInstruction → system prompt blocks (its text parts; it carries nothing else). */
export function decodeSystem(instruction: unknown): TextPart[] {
  if (instruction === undefined || instruction === null) return [];
  if (typeof instruction === 'string') return [{ type: 'text', text: instruction }];
  const parts = (asObject(instruction, 'systemInstruction') as GeminiContent).parts ?? [];
  if (!Array.isArray(parts)) throw invalid('systemInstruction.parts must be an array.', 'systemInstruction.parts');
  return parts.flatMap((part) => (typeof part?.text === 'string' && part.text !== '' ? [{ type: 'text' as const, text: part.text }] : []));
}

function decodeRole(role: unknown, where: string): Message['role'] {
  // `function` is the v1 role of functionResponse turns; a missing role means user.
  if (role === undefined || role === 'user' || role === 'function') return 'user';
  if (role === 'model') return 'assistant';
  throw invalid(`${where}.role must be "user" or "model".`, `${where}.role`);
}

interface PartContext {
  /** The id a function call at this position gets when it has none. */
  callId: string;
  pending: PendingCall[];
}

/**
 * One part → canonical parts. A thoughtSignature stays with what it signs: a thought
 * part becomes a signed ReasoningPart, a functionCall a signed ToolCallPart; on any other
 * part (Gemini signs the first answer part after its thinking, or an empty last part) it
 * becomes an empty signed ReasoningPart placed just before that part's content. A
 * signature llm-mux tagged for another protocol (../signature-tag.ts) is that protocol's
 * again, and always signs reasoning: on a functionCall part too it is an empty signed
 * ReasoningPart before the call (only Gemini signs calls).
 */
function decodePart(part: GeminiPart, where: string, context: PartContext): Part[] {
  const signature: ReasoningSignature | undefined =
    typeof part.thoughtSignature === 'string' ? untagSignature(part.thoughtSignature, 'gemini') : undefined;
  if (part.thought === true) {
    const text = part.text ?? '';
    return text === '' && !signature ? [] : [{ type: 'reasoning', text, ...(signature ? { signature } : {}) }];
  }
  if (part.functionCall) {
    const call = decodeFunctionCall(part.functionCall, `${where}.functionCall`, context);
    if (signature && signature.protocol !== 'gemini') return [{ type: 'reasoning', text: '', signature }, call];
    return [{ ...call, ...(signature ? { signature } : {}) }];
  }
  const content = decodeContent(part, where, context);
  return signature ? [{ type: 'reasoning', text: '', signature }, ...content] : content;
}

/**
 * A streamed answer reaches a Gemini client as many thought parts, and another protocol's
 * signature for them after them, on the next part (see stream-encoder.ts). An empty
 * ReasoningPart another protocol signed takes the unsigned reasoning right before it back
 * as its text, so that protocol's upstream gets its thinking whole with its signature.
 */
function joinForeignThinking(parts: Part[]): Part[] {
  const joined: Part[] = [];
  for (const part of parts) {
    if (part.type !== 'reasoning' || part.text !== '' || !part.signature || part.signature.protocol === 'gemini') {
      joined.push(part);
      continue;
    }
    let start = joined.length;
    while (start > 0 && isUnsignedReasoning(joined[start - 1]!)) start--;
    const text = joined
      .splice(start)
      .map((thought) => (thought.type === 'reasoning' ? thought.text : ''))
      .join('');
    joined.push({ ...part, text });
  }
  return joined;
}

function isUnsignedReasoning(part: Part): boolean {
  return part.type === 'reasoning' && !part.signature && part.redacted === undefined;
}

function decodeContent(part: GeminiPart, where: string, context: PartContext): Part[] {
  if (typeof part.text === 'string') return part.text === '' ? [] : [{ type: 'text', text: part.text }];
  if (part.inlineData) return [imageFromBlob(part.inlineData, `${where}.inlineData`)];
  if (part.fileData) return [imageFromFile(part.fileData, `${where}.fileData`)];
  if (part.functionResponse) return [decodeFunctionResponse(part.functionResponse, `${where}.functionResponse`, context)];
  throw invalid(`${where} has no content llm-mux can translate (text, inlineData, fileData, functionCall or functionResponse).`, where);
}

function decodeFunctionCall(call: GeminiFunctionCall, where: string, context: PartContext): ToolCallPart {
  if (typeof call.name !== 'string' || call.name === '') throw invalid(`${where}.name must be a non-empty string.`, `${where}.name`);
  const id = call.id || context.callId;
  context.pending.push({ id, name: call.name });
  return { type: 'tool_call', id, name: call.name, arguments: JSON.stringify(call.args ?? {}) };
}

function decodeFunctionResponse(result: GeminiFunctionResponse, where: string, context: PartContext): Part {
  if (typeof result.name !== 'string' || result.name === '') throw invalid(`${where}.name must be a non-empty string.`, `${where}.name`);
  const { pending } = context;
  const index = [pending.findIndex((call) => call.id === result.id), pending.findIndex((call) => call.name === result.name)].find((found) => found >= 0);
  const call = index === undefined ? undefined : pending.splice(index, 1)[0];
  const response = asObject(result.response ?? {}, `${where}.response`);
  const { text, isError } = resultText(response);
  const parts = result.parts ?? [];
  if (!Array.isArray(parts)) throw invalid(`${where}.parts must be an array.`, `${where}.parts`);
  const media = parts.flatMap((part, position) => (part?.inlineData ? [imageFromBlob(part.inlineData, `${where}.parts[${position}].inlineData`)] : []));
  return {
    type: 'tool_result',
    toolCallId: call?.id ?? result.id ?? context.callId,
    name: result.name,
    content: [{ type: 'text', text }, ...media],
    ...(isError ? { isError } : {}),
  };
}

/**
 * A `response` object as tool-result text: `{output: "…"}` / `{error: "…"}` (Gemini's
 * documented keys) as their plain text, anything else as its JSON.
 */
function resultText(response: Record<string, unknown>): { text: string; isError: boolean } {
  const keys = Object.keys(response);
  const only = keys.length === 1 ? keys[0] : undefined;
  const value = only === undefined ? undefined : response[only];
  if ((only === 'output' || only === 'error') && typeof value === 'string') return { text: value, isError: only === 'error' };
  return { text: JSON.stringify(response), isError: 'error' in response && !('output' in response) };
}

function imageFromBlob(blob: GeminiBlob, where: string): ImagePart {
  if (typeof blob.data !== 'string' || typeof blob.mimeType !== 'string') throw invalid(`${where} needs mimeType and data.`, where);
  if (!blob.mimeType.startsWith('image/')) throw unsupportedMedia(blob.mimeType, where);
  return { type: 'image', source: { kind: 'base64', mediaType: blob.mimeType, data: blob.data } };
}

function imageFromFile(file: { mimeType?: string; fileUri: string }, where: string): ImagePart {
  if (typeof file.fileUri !== 'string' || !/^https?:\/\//i.test(file.fileUri)) {
    throw invalid(`${where}.fileUri must be an http(s) URL: llm-mux cannot read Google Cloud Storage or uploaded files.`, `${where}.fileUri`);
  }
  if (file.mimeType !== undefined && !file.mimeType.startsWith('image/')) throw unsupportedMedia(file.mimeType, where);
  return { type: 'image', source: { kind: 'url', url: file.fileUri } };
}

function unsupportedMedia(mimeType: string, where: string) {
  return invalid(`${where}: ${mimeType} is not supported; llm-mux translates images only.`, where);
}

function asObject(value: unknown, where: string): Record<string, unknown> {
  if (isRecord(value)) return value;
  throw invalid(`${where} must be an object.`, where);
}
