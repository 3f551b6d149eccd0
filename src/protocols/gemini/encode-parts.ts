import { parseArgumentsObject } from '../../core/json.ts';
import type { ImagePart, Part, ReasoningSignature, ToolCallPart, ToolResultPart } from '../../core/request.ts';
import { wireCallId } from './call-ids.ts';
import { SignatureCarrier, looseSignature } from './signature-carrier.ts';
import type { GeminiPart } from './types.ts';

/**
 * What to do with reasoning Gemini did not sign: an upstream request sends back only what
 * Gemini can verify, an answer to a Gemini client shows all reasoning as thought parts.
 */
type UnsignedReasoning = 'drop' | 'show';

/**
 * Canonical content → Gemini parts, for requests (history) and answers alike. Signatures
 * go back byte-exact where they came from: on the functionCall part, on the thought part,
 * or, for an empty signed ReasoningPart (a signature that came on an answer part), on the
 * part that follows it (see SignatureCarrier).
 */
export function geminiParts(content: readonly Part[], unsigned: UnsignedReasoning): GeminiPart[] {
  const carrier = new SignatureCarrier();
  const parts: GeminiPart[] = [];
  for (const part of content) {
    const encoded = encodePart(part, unsigned);
    if (encoded) parts.push(...carrier.push(encoded));
  }
  return [...parts, ...carrier.flush()];
}

function encodePart(part: Part, unsigned: UnsignedReasoning): GeminiPart | undefined {
  switch (part.type) {
    case 'text':
      return part.text === '' ? undefined : { text: part.text };
    case 'image':
      return imagePart(part);
    case 'tool_call':
      return functionCallPart(part);
    case 'tool_result':
      return functionResponsePart(part);
    case 'reasoning': {
      const signature = geminiSignature(part.signature);
      if (part.text === '') return signature === undefined ? undefined : looseSignature(signature);
      if (signature === undefined && unsigned === 'drop') return undefined;
      return { text: part.text, thought: true, ...(signature !== undefined ? { thoughtSignature: signature } : {}) };
    }
  }
}

/** Only Gemini's own signatures mean anything to Gemini. */
export function geminiSignature(signature: ReasoningSignature | undefined): string | undefined {
  return signature?.protocol === 'gemini' ? signature.value : undefined;
}

export function functionCallPart(call: Pick<ToolCallPart, 'id' | 'name' | 'arguments' | 'signature'>): GeminiPart {
  const id = wireCallId(call.id);
  const signature = geminiSignature(call.signature);
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
  const object = parseObject(text);
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

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(text) as unknown;
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
