import type { CanonicalRequest, ResponseFormat, ToolChoice, ToolDefinition } from '../../core/request.ts';
import type { ClientContext } from '../codec.ts';
import { camelCaseKeys } from './camel-case.ts';
import { decodeContents, decodeSystem } from './decode-contents.ts';
import { invalid } from './invalid.ts';
import { jsonSchemaFromGemini } from './schema.ts';
import { reasoningFromThinking } from './thinking.ts';
import type { GeminiGenerationConfig, GeminiTool, GeminiToolConfig, GenerateContentRequest } from './types.ts';

/**
 * A generateContent body → canonical. The model comes from the URL (`context.model`), and
 * so does streaming: the route sets `stream` (streamGenerateContent), the body never says.
 * safetySettings, cachedContent and labels have no canonical form and are left out.
 */
export function decodeGeminiRequest(body: unknown, context: ClientContext): CanonicalRequest {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw invalid('The request body must be a JSON object.');
  const request = camelCaseKeys(body) as GenerateContentRequest;
  const canonical: CanonicalRequest = {
    model: context.model,
    system: decodeSystem(request.systemInstruction),
    messages: decodeContents(request.contents),
    stream: false,
  };
  if (request.generationConfig) Object.assign(canonical, decodeGenerationConfig(request.generationConfig));
  const tools = decodeTools(request.tools);
  if (tools.length > 0) canonical.tools = tools;
  const toolChoice = decodeToolChoice(request.toolConfig);
  if (toolChoice) canonical.toolChoice = toolChoice;
  return canonical;
}

type GenerationFields = Pick<
  CanonicalRequest,
  'maxTokens' | 'temperature' | 'topP' | 'topK' | 'stop' | 'n' | 'seed' | 'presencePenalty' | 'frequencyPenalty' | 'responseFormat' | 'reasoning'
>;

function decodeGenerationConfig(config: GeminiGenerationConfig): GenerationFields {
  const fields: GenerationFields = {
    maxTokens: number(config.maxOutputTokens, 'maxOutputTokens'),
    temperature: number(config.temperature, 'temperature'),
    topP: number(config.topP, 'topP'),
    topK: number(config.topK, 'topK'),
    n: number(config.candidateCount, 'candidateCount'),
    seed: number(config.seed, 'seed'),
    presencePenalty: number(config.presencePenalty, 'presencePenalty'),
    frequencyPenalty: number(config.frequencyPenalty, 'frequencyPenalty'),
    responseFormat: decodeResponseFormat(config),
    reasoning: config.thinkingConfig ? reasoningFromThinking(config.thinkingConfig) : undefined,
  };
  if (config.stopSequences !== undefined) {
    if (!Array.isArray(config.stopSequences) || !config.stopSequences.every((stop) => typeof stop === 'string')) {
      throw invalid('generationConfig.stopSequences must be an array of strings.', 'generationConfig.stopSequences');
    }
    fields.stop = config.stopSequences;
  }
  // Absent fields stay absent rather than present-and-undefined.
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as GenerationFields;
}

function number(value: unknown, field: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  throw invalid(`generationConfig.${field} must be a number.`, `generationConfig.${field}`);
}

/** A schema (JSON Schema, or Gemini's OpenAPI-style one) means JSON with that schema. */
function decodeResponseFormat(config: GeminiGenerationConfig): ResponseFormat | undefined {
  const schema = config.responseJsonSchema ?? (config.responseSchema ? jsonSchemaFromGemini(config.responseSchema) : undefined);
  if (schema) return { type: 'json_schema', name: 'response', schema };
  if (config.responseMimeType === 'application/json') return { type: 'json_object' };
  if (config.responseMimeType === 'text/plain') return { type: 'text' };
  return undefined;
}

/**
 * Function declarations only: Google's own tools (googleSearch, codeExecution, urlContext…)
 * run inside Gemini and have no canonical form, so they are refused rather than dropped.
 */
function decodeTools(tools: GeminiTool[] | undefined): ToolDefinition[] {
  if (tools === undefined) return [];
  if (!Array.isArray(tools)) throw invalid('`tools` must be an array.', 'tools');
  return tools.flatMap((tool, index) => {
    if (tool === null || typeof tool !== 'object') throw invalid(`tools[${index}] must be an object.`, `tools[${index}]`);
    const other = Object.keys(tool).find((key) => key !== 'functionDeclarations');
    if (other) throw invalid(`tools[${index}].${other} is a Gemini built-in tool; llm-mux translates functionDeclarations only.`, `tools[${index}].${other}`);
    const declarations = tool.functionDeclarations ?? [];
    if (!Array.isArray(declarations)) throw invalid(`tools[${index}].functionDeclarations must be an array.`, `tools[${index}].functionDeclarations`);
    return declarations.map((declaration, position) => {
      const where = `tools[${index}].functionDeclarations[${position}]`;
      if (typeof declaration?.name !== 'string' || declaration.name === '') throw invalid(`${where}.name must be a non-empty string.`, `${where}.name`);
      const parameters =
        declaration.parametersJsonSchema ?? (declaration.parameters ? jsonSchemaFromGemini(declaration.parameters) : { type: 'object', properties: {} });
      return { name: declaration.name, ...(declaration.description ? { description: declaration.description } : {}), parameters };
    });
  });
}

/** ANY with a single allowed function forces that function; with several it can only mean "some tool". */
function decodeToolChoice(config: GeminiToolConfig | undefined): ToolChoice | undefined {
  const calling = config?.functionCallingConfig;
  switch (calling?.mode) {
    case undefined:
      return undefined;
    case 'NONE':
      return { type: 'none' };
    case 'ANY': {
      const names = calling.allowedFunctionNames ?? [];
      return names.length === 1 ? { type: 'tool', name: names[0]! } : { type: 'required' };
    }
    default:
      return { type: 'auto' };
  }
}
