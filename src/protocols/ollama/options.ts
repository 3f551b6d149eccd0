import type { CanonicalRequest } from '../../core/request.ts';
import { optional, readArray, readNumber, readObject, readString } from './read.ts';
import type { OllamaOptions } from './types.ts';

export type Sampling = Pick<
  CanonicalRequest,
  'maxTokens' | 'temperature' | 'topP' | 'topK' | 'stop' | 'seed' | 'presencePenalty' | 'frequencyPenalty'
>;

/** The numeric `options` and their canonical fields, one table for both directions. */
const NUMERIC: ReadonlyArray<readonly [Exclude<keyof OllamaOptions, 'stop'>, Exclude<keyof Sampling, 'stop'>]> = [
  ['num_predict', 'maxTokens'],
  ['temperature', 'temperature'],
  ['top_p', 'topP'],
  ['top_k', 'topK'],
  ['seed', 'seed'],
  ['presence_penalty', 'presencePenalty'],
  ['frequency_penalty', 'frequencyPenalty'],
];

/** `options` → canonical sampling fields. Options with no canonical slot (num_ctx, mirostat…) are dropped. */
export function samplingFromOptions(value: unknown, path: string): Sampling {
  const options = optional(value, path, readObject) ?? {};
  const sampling: Sampling = {};
  for (const [wire, field] of NUMERIC) {
    const number = optional(options[wire], `${path}.${wire}`, readNumber);
    if (number !== undefined) sampling[field] = number;
  }
  // num_predict -1 (no limit), -2 (fill the context) and 0 (Go's "unset") carry no cap.
  if (sampling.maxTokens !== undefined && sampling.maxTokens <= 0) delete sampling.maxTokens;
  const stop = optional(options.stop, `${path}.stop`, readStop);
  if (stop) sampling.stop = stop;
  return sampling;
}

function readStop(value: unknown, path: string): string[] {
  if (typeof value === 'string') return [value];
  return readArray(value, path).map((item, index) => readString(item, `${path}[${index}]`));
}

/** Canonical sampling fields → `options`; undefined when there is nothing to set. */
export function optionsToOllama(request: CanonicalRequest): OllamaOptions | undefined {
  const options: OllamaOptions = {};
  for (const [wire, field] of NUMERIC) {
    const number = request[field];
    if (number !== undefined) options[wire] = number;
  }
  if (request.stop?.length) options.stop = request.stop;
  return Object.keys(options).length > 0 ? options : undefined;
}
