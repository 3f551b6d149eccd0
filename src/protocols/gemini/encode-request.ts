import type { CanonicalRequest, Message, ResponseFormat, ToolChoice } from '../../core/request.ts';
import { geminiParts } from './encode-parts.ts';
import { isGemini3 } from './models.ts';
import { thinkingConfigFor } from './thinking.ts';
import type { GeminiContent, GeminiGenerationConfig, GeminiPart, GeminiToolConfig, GenerateContentRequest } from './types.ts';

/**
 * Google's documented stand-in signature for history Gemini did not produce (another
 * vendor's tool calls): Gemini 3 refuses a turn whose first functionCall has no signature.
 */
const FOREIGN_SIGNATURE = 'skip_thought_signature_validator';

/**
 * Canonical → a generateContent body. The model and streaming go in the URL, not here.
 * Tools are declared with `parametersJsonSchema`, which takes JSON Schema as it is
 * (`parameters` is an OpenAPI subset that rejects `additionalProperties`, `$schema`…).
 */
export function encodeGeminiRequest(request: CanonicalRequest): Record<string, unknown> {
  const body: GenerateContentRequest = { contents: encodeContents(request) };
  if (request.system.length > 0) body.systemInstruction = { parts: request.system.map((part) => ({ text: part.text })) };
  if (request.tools?.length) {
    body.tools = [
      {
        functionDeclarations: request.tools.map((tool) => ({
          name: tool.name,
          ...(tool.description ? { description: tool.description } : {}),
          parametersJsonSchema: tool.parameters,
        })),
      },
    ];
  }
  if (request.toolChoice) body.toolConfig = encodeToolChoice(request.toolChoice);
  const generationConfig = encodeGenerationConfig(request);
  if (Object.keys(generationConfig).length > 0) body.generationConfig = generationConfig;
  // Spread into an object type: an interface does not widen to Record<string, unknown>.
  return { ...body };
}

/**
 * Turns with roles user/model, consecutive ones of the same role merged (Gemini wants
 * them alternating). Reasoning Gemini did not sign is left out.
 */
function encodeContents(request: CanonicalRequest): GeminiContent[] {
  const contents: Array<{ role: 'user' | 'model'; parts: GeminiPart[] }> = [];
  for (const message of request.messages) {
    const parts = encodeTurn(message, request.model);
    if (parts.length === 0) continue;
    const role = message.role === 'assistant' ? 'model' : 'user';
    const last = contents.at(-1);
    if (last?.role === role) last.parts.push(...parts);
    else contents.push({ role, parts });
  }
  return contents;
}

function encodeTurn(message: Message, model: string): GeminiPart[] {
  const parts = geminiParts(message.content, 'upstream');
  if (message.role === 'assistant' && isGemini3(model)) {
    const firstCall = parts.find((part) => part.functionCall);
    if (firstCall && firstCall.thoughtSignature === undefined) firstCall.thoughtSignature = FOREIGN_SIGNATURE;
  }
  return parts;
}

function encodeToolChoice(choice: ToolChoice): GeminiToolConfig {
  switch (choice.type) {
    case 'auto':
      return { functionCallingConfig: { mode: 'AUTO' } };
    case 'none':
      return { functionCallingConfig: { mode: 'NONE' } };
    case 'required':
      return { functionCallingConfig: { mode: 'ANY' } };
    case 'tool':
      return { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: [choice.name] } };
  }
}

function encodeGenerationConfig(request: CanonicalRequest): GeminiGenerationConfig {
  const config: GeminiGenerationConfig = {};
  if (request.n !== undefined) config.candidateCount = request.n;
  if (request.stop?.length) config.stopSequences = request.stop;
  if (request.maxTokens !== undefined) config.maxOutputTokens = request.maxTokens;
  if (request.temperature !== undefined) config.temperature = request.temperature;
  if (request.topP !== undefined) config.topP = request.topP;
  if (request.topK !== undefined) config.topK = request.topK;
  if (request.seed !== undefined) config.seed = request.seed;
  if (request.presencePenalty !== undefined) config.presencePenalty = request.presencePenalty;
  if (request.frequencyPenalty !== undefined) config.frequencyPenalty = request.frequencyPenalty;
  if (request.responseFormat) Object.assign(config, encodeResponseFormat(request.responseFormat));
  if (request.reasoning) {
    const thinking = thinkingConfigFor(request.model, request.reasoning);
    if (Object.keys(thinking).length > 0) config.thinkingConfig = thinking;
  }
  return config;
}

function encodeResponseFormat(format: ResponseFormat): GeminiGenerationConfig {
  switch (format.type) {
    case 'text':
      return { responseMimeType: 'text/plain' };
    case 'json_object':
      return { responseMimeType: 'application/json' };
    case 'json_schema':
      return { responseMimeType: 'application/json', responseJsonSchema: format.schema };
  }
}
