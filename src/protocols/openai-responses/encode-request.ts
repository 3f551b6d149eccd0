import { ProxyError } from '../../core/errors.ts';
import { reasoningEffort } from '../../core/reasoning.ts';
import type {
  CanonicalRequest,
  ImagePart,
  Message,
  Part,
  ReasoningConfig,
  ResponseFormat,
  ToolChoice,
  ToolDefinition,
  ToolResultPart,
} from '../../core/request.ts';
import { imagePartToUrl } from '../images.ts';
import { outputText } from './output-items.ts';
import { reasoningHandle } from './signature.ts';
import type { FunctionTool, InputContent, InputItem, InputMessage, OutputText, TextFormat, ToolChoiceWire } from './types.ts';
import { compact } from './validate.ts';

/**
 * Canonical request → `POST {base}/responses` body. Stateless on purpose: `store: false`,
 * and the whole conversation goes in `input`, with reasoning this protocol signed replayed
 * from its encrypted_content (requested through `include` whenever the model reasons).
 * Parameters the Responses API lacks (stop, top_k, seed, penalties) are dropped.
 */
export function encodeRequest(request: CanonicalRequest): Record<string, unknown> {
  if ((request.n ?? 1) > 1) {
    const message = 'This model is served through the Responses API, which returns one answer per request: n > 1 is not supported.';
    throw new ProxyError('invalid_request', message, { param: 'n' });
  }
  const input = request.messages.flatMap(encodeMessage);
  const reasoning = encodeReasoning(request.reasoning);
  const reasons = (reasoning !== undefined && reasoning.effort !== 'none') || input.some((item) => item.type === 'reasoning');
  return compact({
    model: request.model,
    instructions: request.system.length > 0 ? request.system.map((part) => part.text).join('\n\n') : undefined,
    input,
    stream: request.stream,
    store: false,
    include: reasons ? ['reasoning.encrypted_content'] : undefined,
    max_output_tokens: request.maxTokens,
    temperature: request.temperature,
    top_p: request.topP,
    tools: request.tools?.map(functionTool),
    tool_choice: request.toolChoice && toolChoice(request.toolChoice),
    parallel_tool_calls: request.parallelToolCalls,
    text: request.responseFormat && { format: textFormat(request.responseFormat) },
    reasoning,
    user: request.user,
  });
}

/**
 * One turn → input items, in order: runs of text and images become one message item; tool
 * calls, tool results and replayable reasoning become items of their own.
 */
function encodeMessage(message: Message): InputItem[] {
  const items: InputItem[] = [];
  let run: InputMessage | undefined;
  for (const part of message.content) {
    const content = messageContent(message.role, part);
    if (content) {
      if (!run) items.push((run = { type: 'message', role: message.role, content: [] }));
      run.content.push(content);
      continue;
    }
    run = undefined;
    const item = standaloneItem(part);
    if (item) items.push(item);
  }
  return items;
}

function messageContent(role: Message['role'], part: Part): InputContent | OutputText | undefined {
  if (part.type === 'text') return role === 'user' ? { type: 'input_text', text: part.text } : outputText(part.text);
  if (part.type === 'image' && role === 'user') return inputImage(part);
  return undefined;
}

function standaloneItem(part: Part): InputItem | undefined {
  switch (part.type) {
    case 'tool_call':
      return { type: 'function_call', call_id: part.id, name: part.name, arguments: part.arguments };
    case 'tool_result':
      return { type: 'function_call_output', call_id: part.toolCallId, output: toolOutput(part) };
    case 'reasoning': {
      // Only reasoning OpenAI encrypted can be replayed; other providers' thinking is dropped.
      const handle = reasoningHandle(part.signature);
      if (!handle) return undefined;
      return {
        type: 'reasoning',
        id: handle.id,
        summary: part.text ? [{ type: 'summary_text', text: part.text }] : [],
        encrypted_content: handle.encrypted_content,
      };
    }
    default:
      return undefined;
  }
}

function inputImage(part: ImagePart): InputContent {
  return { type: 'input_image', image_url: imagePartToUrl(part), detail: 'auto' };
}

/** A lone text result is a plain string, as most clients send it; anything else a part list. */
function toolOutput(result: ToolResultPart): string | InputContent[] {
  const [first, ...rest] = result.content;
  if (!first) return '';
  if (first.type === 'text' && rest.length === 0) return first.text;
  return result.content.map((part) => (part.type === 'text' ? { type: 'input_text', text: part.text } : inputImage(part)));
}

/** `strict` defaults to true in the Responses API; a canonical tool is strict only when it says so. */
function functionTool(tool: ToolDefinition): FunctionTool {
  return compact({ type: 'function', name: tool.name, description: tool.description, parameters: tool.parameters, strict: tool.strict ?? false });
}

function toolChoice(choice: ToolChoice): ToolChoiceWire {
  return choice.type === 'tool' ? { type: 'function', name: choice.name } : choice.type;
}

function textFormat(format: ResponseFormat): TextFormat {
  return format.type === 'json_schema' ? compact({ ...format }) : { type: format.type };
}

function encodeReasoning(config: ReasoningConfig | undefined): { effort?: string; summary?: 'auto' } | undefined {
  if (!config) return undefined;
  const encoded = compact({ effort: reasoningEffort(config), summary: config.includeThoughts ? ('auto' as const) : undefined });
  return Object.keys(encoded).length > 0 ? encoded : undefined;
}
