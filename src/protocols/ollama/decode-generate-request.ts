import type { CanonicalRequest, ImagePart, TextPart } from '../../core/request.ts';
import type { ClientContext } from '../codec.ts';
import { decodeCommon } from './decode-request.ts';
import { imageFromOllama } from './images.ts';
import { invalid, optional, readArray, readBoolean, readObject, readString, type Json } from './read.ts';

/**
 * A POST /api/generate body → canonical: `system` becomes the system prompt, `images` and
 * `prompt` one user turn. An empty prompt (Ollama's "load the model" request) decodes to
 * no turns at all. `context` (deprecated token memory) is ignored: llm-mux never returns one.
 */
export function decodeGenerateRequest(body: unknown, context: ClientContext): CanonicalRequest {
  const request = readObject(body, 'body');
  rejectRawCompletion(request);
  const system = optional(request.system, 'system', readString) ?? '';
  const images = optional(request.images, 'images', readArray) ?? [];
  const prompt = optional(request.prompt, 'prompt', readString) ?? '';
  const content: Array<TextPart | ImagePart> = [
    ...images.map((image, index) => imageFromOllama(readString(image, `images[${index}]`))),
    ...(prompt === '' ? [] : [{ type: 'text' as const, text: prompt }]),
  ];
  return {
    ...decodeCommon(request, context),
    system: system === '' ? [] : [{ type: 'text', text: system }],
    messages: content.length > 0 ? [{ role: 'user', content }] : [],
  };
}

/**
 * Fill-in-the-middle (`suffix`), untemplated prompts (`raw`) and template overrides need
 * the model's own prompt format, which only an Ollama server applies: through a chat
 * upstream they would silently produce something else, so they are refused.
 */
function rejectRawCompletion(request: Json): void {
  if (optional(request.suffix, 'suffix', readString)) throw invalid('suffix (fill-in-the-middle) is not supported by llm-mux');
  if (optional(request.raw, 'raw', readBoolean)) throw invalid('raw prompts are not supported by llm-mux');
  if (optional(request.template, 'template', readString)) throw invalid('template overrides are not supported by llm-mux');
}
