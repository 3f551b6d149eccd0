import type { ImagePart, Message, Part, ReasoningPart, ReasoningSignature, Role, TextPart } from '../../core/request.ts';
import { imagePartFromUrl } from '../images.ts';
import { untagSignature } from '../signature-tag.ts';
import { SEGMENT_SEPARATOR, joinSegments, reasoningSegments } from './read-items.ts';
import { signReasoning } from './signature.ts';
import type { WireOutputItem } from './types.ts';
import { invalid, list, optionalString, record, string } from './validate.ts';

/** Where one input item goes: the system prompt, or a turn of the conversation. */
type Decoded = { role: 'system'; parts: TextPart[] } | { role: Role; parts: Part[] };

/**
 * `instructions` + `input` → system prompt and turns. Items of the same role in a row form
 * one turn (an assistant's reasoning, text and function calls; the function outputs and
 * text that answer them). System and developer messages join the system prompt in order.
 */
export function decodeInput(input: unknown, instructions: string | undefined): { system: TextPart[]; messages: Message[] } {
  const system: TextPart[] = instructions ? [{ type: 'text', text: instructions }] : [];
  if (typeof input === 'string') return { system, messages: [{ role: 'user', content: [{ type: 'text', text: input }] }] };
  if (input == null) throw invalid("'input' is required: a string or a list of items.", 'input');
  const messages: Message[] = [];
  // function_call_output items carry only the call id; the name comes from the call.
  const callNames = new Map<string, string>();
  list(input, 'input').forEach((raw, index) => {
    const decoded = decodeItem(record(raw, `input[${index}]`), `input[${index}]`, callNames);
    if (decoded.role === 'system') system.push(...decoded.parts);
    else appendTurn(messages, decoded.role, decoded.parts);
  });
  return { system, messages };
}

function appendTurn(messages: Message[], role: Role, parts: Part[]): void {
  const last = messages.at(-1);
  if (last?.role === role) last.content.push(...parts);
  else messages.push({ role, content: parts });
}

function decodeItem(item: Record<string, unknown>, param: string, callNames: Map<string, string>): Decoded {
  const type = item.type ?? 'message';
  switch (type) {
    case 'message':
      return decodeMessage(item, param);
    case 'function_call': {
      const id = string(item.call_id, `${param}.call_id`);
      const name = string(item.name, `${param}.name`);
      callNames.set(id, name);
      return { role: 'assistant', parts: [{ type: 'tool_call', id, name, arguments: optionalString(item.arguments, `${param}.arguments`) ?? '' }] };
    }
    case 'function_call_output': {
      const id = string(item.call_id, `${param}.call_id`);
      const name = callNames.get(id);
      if (name === undefined) {
        throw invalid(`'${param}' answers call_id '${id}', but no earlier function_call item has that call_id.`, `${param}.call_id`);
      }
      return { role: 'user', parts: [{ type: 'tool_result', toolCallId: id, name, content: decodeToolOutput(item.output, `${param}.output`) }] };
    }
    case 'reasoning':
      return { role: 'assistant', parts: [decodeReasoning(item, param)] };
    case 'item_reference':
      throw invalid(
        `'${param}' is an item_reference: llm-mux keeps no conversation state, so send the referenced item itself.`,
        `${param}.type`,
      );
    default:
      throw invalid(
        `Input items of type '${String(type)}' are not supported: only message, function_call, ` +
          `function_call_output and reasoning items can be translated.`,
        `${param}.type`,
      );
  }
}

function decodeMessage(item: Record<string, unknown>, param: string): Decoded {
  const role = item.role;
  const content = item.content;
  switch (role) {
    case 'system':
    case 'developer':
      return { role: 'system', parts: decodeText(content, `${param}.content`) };
    case 'user':
      return { role: 'user', parts: decodeContent(content, `${param}.content`) };
    case 'assistant':
      return { role: 'assistant', parts: decodeText(content, `${param}.content`) };
    default:
      throw invalid(`'${param}.role' must be user, assistant, system or developer.`, `${param}.role`);
  }
}

/** Message content: a string, or input_text / input_image / output_text / refusal parts. */
function decodeContent(content: unknown, param: string): Array<TextPart | ImagePart> {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  return list(content, param).map((raw, index) => {
    const part = record(raw, `${param}[${index}]`);
    const partParam = `${param}[${index}]`;
    switch (part.type) {
      case 'input_text':
      case 'output_text':
        return { type: 'text', text: string(part.text, `${partParam}.text`) };
      case 'refusal':
        return { type: 'text', text: string(part.refusal, `${partParam}.refusal`) };
      case 'input_image':
        return decodeImage(part, partParam);
      default:
        throw invalid(
          `Content parts of type '${String(part.type)}' are not supported: use input_text, input_image (image_url) or output_text.`,
          `${partParam}.type`,
        );
    }
  });
}

function decodeImage(part: Record<string, unknown>, param: string): ImagePart {
  if (typeof part.image_url !== 'string') {
    throw invalid(`'${param}' needs an image_url (a URL or a data: URL); file_id images live in OpenAI's file storage.`, `${param}.image_url`);
  }
  return imagePartFromUrl(part.image_url);
}

/** Content of system, developer and assistant messages: text only. */
function decodeText(content: unknown, param: string): TextPart[] {
  return decodeContent(content, param).map((part, index) => {
    if (part.type === 'text') return part;
    throw invalid(`'${param}[${index}]': images are only allowed in user messages and tool outputs.`, `${param}[${index}]`);
  });
}

function decodeToolOutput(output: unknown, param: string): Array<TextPart | ImagePart> {
  return typeof output === 'string' ? [{ type: 'text', text: output }] : decodeContent(output, param);
}

/**
 * A reasoning item: its summary (or raw reasoning text) becomes the text; its
 * encrypted_content, bound to its id, the signature that lets it be replayed. An
 * encrypted_content llm-mux tagged for another protocol (../signature-tag.ts) is that
 * protocol's signature again.
 */
function decodeReasoning(item: Record<string, unknown>, param: string): ReasoningPart {
  const id = optionalString(item.id, `${param}.id`);
  const encrypted = optionalString(item.encrypted_content, `${param}.encrypted_content`);
  const text = joinSegments(reasoningSegments(item as WireOutputItem), SEGMENT_SEPARATOR.reasoning);
  const signature = encrypted ? reasoningSignature(id, encrypted) : undefined;
  return { type: 'reasoning', text, ...(signature ? { signature } : {}) };
}

function reasoningSignature(id: string | undefined, encrypted: string): ReasoningSignature | undefined {
  const signature = untagSignature(encrypted, 'openai-responses');
  if (signature.protocol !== 'openai-responses') return signature;
  return id ? signReasoning(id, encrypted) : undefined;
}
