import type {
  CanonicalRequest,
  ReasoningConfig,
  ReasoningEffort,
  ResponseFormat,
  ToolChoice,
  ToolDefinition,
} from '../../core/request.ts';
import type { ClientContext } from '../codec.ts';
import { decodeInput } from './decode-input.ts';
import { compact, invalid, list, optionalBoolean, optionalNumber, optionalString, record, string } from './validate.ts';

/**
 * A `POST /v1/responses` body → canonical request. llm-mux is stateless: what needs
 * OpenAI's stored state (previous_response_id, conversation, stored prompts, background
 * runs) is refused with a 400, as are hosted tools (web_search, file_search, …) that only a
 * Responses upstream can run; a Responses upstream gets the client's bytes untouched.
 * Parameters without a canonical counterpart (store, include, metadata, truncation,
 * text.verbosity, …) are dropped.
 */
export function decodeRequest(body: unknown, context: ClientContext): CanonicalRequest {
  const request = record(body, 'body');
  rejectStateful(request);
  const { system, messages } = decodeInput(request.input, optionalString(request.instructions, 'instructions'));
  return {
    model: context.model,
    system,
    messages,
    stream: request.stream === true,
    ...compact({
      maxTokens: optionalNumber(request.max_output_tokens, 'max_output_tokens'),
      temperature: optionalNumber(request.temperature, 'temperature'),
      topP: optionalNumber(request.top_p, 'top_p'),
      tools: decodeTools(request.tools),
      toolChoice: decodeToolChoice(request.tool_choice),
      parallelToolCalls: optionalBoolean(request.parallel_tool_calls, 'parallel_tool_calls'),
      responseFormat: decodeTextFormat(request.text),
      reasoning: decodeReasoning(request.reasoning),
      // safety_identifier replaces the deprecated `user`.
      user: optionalString(request.safety_identifier, 'safety_identifier') ?? optionalString(request.user, 'user'),
    }),
  };
}

const STATEFUL: ReadonlyArray<[param: string, what: string]> = [
  ['previous_response_id', 'previous_response_id refers to a response stored by OpenAI'],
  ['conversation', 'conversation refers to a conversation stored by OpenAI'],
  ['prompt', 'prompt refers to a prompt template stored by OpenAI'],
];

function rejectStateful(request: Record<string, unknown>): void {
  for (const [param, what] of STATEFUL) {
    if (request[param] != null) {
      throw invalid(
        `${what}, and llm-mux keeps no state for this model's upstream: send the whole conversation in 'input' ` +
          `instead (with store: false and include: ["reasoning.encrypted_content"] for reasoning models).`,
        param,
      );
    }
  }
  if (request.background === true) throw invalid('Background responses need server-side storage, which llm-mux does not keep.', 'background');
}

function decodeTools(value: unknown): ToolDefinition[] | undefined {
  if (value == null) return undefined;
  return list(value, 'tools').map((raw, index) => {
    const param = `tools[${index}]`;
    const tool = record(raw, param);
    if (tool.type !== 'function') {
      throw invalid(
        `Tool type '${String(tool.type)}' is not supported for this model: only function tools can be translated ` +
          `(hosted tools such as web_search need a Responses API upstream).`,
        `${param}.type`,
      );
    }
    return compact({
      name: string(tool.name, `${param}.name`),
      description: optionalString(tool.description, `${param}.description`),
      parameters: tool.parameters == null ? { type: 'object', properties: {} } : record(tool.parameters, `${param}.parameters`),
      strict: optionalBoolean(tool.strict, `${param}.strict`),
    });
  });
}

function decodeToolChoice(value: unknown): ToolChoice | undefined {
  if (value == null) return undefined;
  if (value === 'auto' || value === 'none' || value === 'required') return { type: value };
  const choice = record(value, 'tool_choice');
  if (choice.type === 'function') return { type: 'tool', name: string(choice.name, 'tool_choice.name') };
  throw invalid(`tool_choice of type '${String(choice.type)}' is not supported: use auto, none, required or a function.`, 'tool_choice');
}

function decodeTextFormat(value: unknown): ResponseFormat | undefined {
  const format = value == null ? undefined : record(value, 'text').format;
  if (format == null) return undefined;
  const spec = record(format, 'text.format');
  switch (spec.type) {
    case 'text':
    case 'json_object':
      return { type: spec.type };
    case 'json_schema':
      return compact({
        type: 'json_schema' as const,
        name: string(spec.name, 'text.format.name'),
        schema: record(spec.schema, 'text.format.schema'),
        strict: optionalBoolean(spec.strict, 'text.format.strict'),
        description: optionalString(spec.description, 'text.format.description'),
      });
    default:
      throw invalid(`text.format of type '${String(spec.type)}' is not supported: use text, json_object or json_schema.`, 'text.format.type');
  }
}

/** Responses efforts → canonical ones; xhigh and max lie above the canonical scale. */
const EFFORTS: Readonly<Record<string, ReasoningEffort>> = {
  none: 'none',
  minimal: 'minimal',
  low: 'low',
  medium: 'medium',
  high: 'high',
  xhigh: 'high',
  max: 'high',
};

/** reasoning.effort as a canonical effort; any summary setting asks for the thoughts. */
function decodeReasoning(value: unknown): ReasoningConfig | undefined {
  if (value == null) return undefined;
  const reasoning = record(value, 'reasoning');
  const effortName = optionalString(reasoning.effort, 'reasoning.effort');
  const effort = effortName === undefined ? undefined : EFFORTS[effortName];
  if (effortName !== undefined && !effort) {
    throw invalid(`reasoning.effort '${effortName}' is not one of ${Object.keys(EFFORTS).join(', ')}.`, 'reasoning.effort');
  }
  const summary = reasoning.summary ?? reasoning.generate_summary;
  const config = compact({ effort, includeThoughts: summary == null ? undefined : true });
  return Object.keys(config).length > 0 ? config : undefined;
}
