import { parseArgumentsObject, parseJsonRecord } from '../../core/json.ts';
import type { ImagePart, Part, ReasoningSignature, ToolCallPart, ToolResultPart } from '../../core/request.ts';
import { tagSignature } from '../signature-tag.ts';
import { wireCallId } from './call-ids.ts';
import { SignatureCarrier, looseSignature } from './signature-carrier.ts';
import type { GeminiPart } from './types.ts';

/**
 * Who gets the parts. An upstream request sends back only reasoning Gemini signed, with
 * Gemini's own signatures; an answer to a Gemini client shows all reasoning as thought
 * parts, and carries signatures other protocols issued tagged (../signature-tag.ts), so the
 * client's next request brings them back.
 */
export type Audience = 'upstream' | 'client';

/**
 * Canonical content → Gemini parts, for requests (history) and answers alike. Signatures
 * go back byte-exact where they came from: on the functionCall part, on the thought part,
 * or, for an empty signed ReasoningPart (a signature that came on an answer part), on the
 * part that follows it (see SignatureCarrier).
 */
export function geminiParts(content: readonly Part[], audience: Audience): GeminiPart[] {
  const carrier = new SignatureCarrier();
  const parts: GeminiPart[] = [];
  for (const part of content) {
    const encoded = encodePart(part, audience);
    if (encoded) parts.push(...carrier.push(encoded));
  }
  return [...parts, ...carrier.flush()];
}

function encodePart(part: Part, audience: Audience): GeminiPart | undefined {
  switch (part.type) {
    case 'text':
      return part.text === '' ? undefined : { text: part.text };
    case 'image':
      return imagePart(part);
    case 'tool_call':
      return functionCallPart(part, audience);
    case 'tool_result':
      return functionResponsePart(part);
    case 'reasoning': {
      // Anthropic's redacted thinking is no signature of a text: it has no place here.
      if (part.redacted !== undefined) return undefined;
      const signature = geminiSignature(part.signature, audience);
      if (part.text === '') return signature === undefined ? undefined : looseSignature(signature);
      if (signature === undefined && audience === 'upstream') return undefined;
      return { text: part.text, thought: true, ...(signature !== undefined ? { thoughtSignature: signature } : {}) };
    }
  }
}

/**
 * A signature as `thoughtSignature`: only Gemini's own mean anything to Gemini; a client
 * gets the others tagged.
 */
export function geminiSignature(signature: ReasoningSignature | undefined, audience: Audience): string | undefined {
  if (!signature) return undefined;
  if (audience === 'client') return tagSignature(signature, 'gemini');
  return signature.protocol === 'gemini' ? signature.value : undefined;
}

export function functionCallPart(call: Pick<ToolCallPart, 'id' | 'name' | 'arguments' | 'signature'>, audience: Audience): GeminiPart {
  const id = wireCallId(call.id);
  const signature = geminiSignature(call.signature, audience);
  return {
    functionCall: { ...(id !== undefined ? { id } : {}), name: call.name, args: parseArgumentsObject(call.arguments) },
    ...(signature !== undefined ? { thoughtSignature: signature } : {}),
  };
}

function imagePart(image: ImagePart): GeminiPart {
  const { source } = image;
  return source.kind === 'base64' ? { inlineData: { mimeType: source.mediaType, data: source.data } } : { fileData: { fileUri: source.url } };
}

/**
 * `response` must be a JSON object: a result that is one is sent as it is, other text
 * under Gemini's documented keys, `output` (or `error` for a failed call).
 */
function functionResponsePart(result: ToolResultPart): GeminiPart {
  const id = wireCallId(result.toolCallId);
  const text = result.content.flatMap((part) => (part.type === 'text' ? [part.text] : [])).join('\n');
  const object = parseJsonRecord(text);
  const response = object && (!result.isError || 'error' in object) ? object : { [result.isError ? 'error' : 'output']: object ?? text };
  // Inline media only: the gateway has already inlined URL images (inlineImagesOnly).
  const media = result.content.flatMap((part) => (part.type === 'image' && part.source.kind === 'base64' ? [imagePart(part)] : []));
  return {
    functionResponse: {
      ...(id !== undefined ? { id } : {}),
      name: result.name,
      response,
      ...(media.length > 0 ? { parts: media } : {}),
    },
  };
}
