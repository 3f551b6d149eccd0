// The one tagging of foreign reasoning signatures that Anthropic, Gemini and Responses clients share.
import { describe, expect, it } from 'vitest';
import type { Protocol } from '../../src/core/protocol.ts';
import type { ReasoningSignature } from '../../src/core/request.ts';
import { signatureFromClient, signatureToClient } from '../../src/protocols/anthropic/signature.ts';
import { tagSignature, untagSignature } from '../../src/protocols/signature-tag.ts';

const PROTOCOLS: Protocol[] = ['openai-chat', 'openai-responses', 'anthropic', 'gemini', 'ollama'];
/** Values as providers issue them (base64 with + / =), and one that holds colons and a tag of its own. */
const VALUES = ['CiQB+t/1Zm==', 'EuYDCmMIDBgCKkC0/+==', '{"id":"rs_1","encrypted_content":"gAAAA=="}', 'a:b:llm-mux:gemini:c', ''];

describe('tagSignature / untagSignature', () => {
  it('a client protocol gets its own signatures raw and the others tagged', () => {
    expect(tagSignature({ protocol: 'gemini', value: 'CiQB' }, 'gemini')).toBe('CiQB');
    expect(tagSignature({ protocol: 'gemini', value: 'CiQB' }, 'anthropic')).toBe('llm-mux:gemini:CiQB');
    expect(tagSignature({ protocol: 'anthropic', value: 'EuYD' }, 'openai-responses')).toBe('llm-mux:anthropic:EuYD');
    expect(tagSignature({ protocol: 'openai-responses', value: '{"id":"rs_1"}' }, 'gemini')).toBe('llm-mux:openai-responses:{"id":"rs_1"}');
  });

  it('round-trips every signature through every client protocol', () => {
    for (const own of PROTOCOLS) {
      for (const protocol of PROTOCOLS) {
        for (const value of VALUES) {
          const signature: ReasoningSignature = { protocol, value };
          expect(untagSignature(tagSignature(signature, own), own), `${protocol} signature through a ${own} client`).toEqual(signature);
        }
      }
    }
  });

  it('untagged text, unknown protocols and a tag naming the client protocol itself are the client protocol’s, byte-exact', () => {
    expect(untagSignature('CiQB+==', 'gemini')).toEqual({ protocol: 'gemini', value: 'CiQB+==' });
    expect(untagSignature('llm-mux:bedrock:x', 'gemini')).toEqual({ protocol: 'gemini', value: 'llm-mux:bedrock:x' });
    expect(untagSignature('llm-mux:gemini:x', 'gemini')).toEqual({ protocol: 'gemini', value: 'llm-mux:gemini:x' });
    expect(untagSignature('LLM-MUX:anthropic:x', 'gemini')).toEqual({ protocol: 'gemini', value: 'LLM-MUX:anthropic:x' });
    expect(untagSignature('llm-mux:anthropic:', 'gemini')).toEqual({ protocol: 'anthropic', value: '' });
  });

  it('the Anthropic client helpers keep their behaviour on top of it', () => {
    expect(signatureToClient(undefined)).toBe('');
    expect(signatureToClient({ protocol: 'anthropic', value: 'EuYD' })).toBe('EuYD');
    expect(signatureToClient({ protocol: 'gemini', value: 'CiQB' })).toBe('llm-mux:gemini:CiQB');
    expect(signatureFromClient(undefined)).toBeUndefined();
    expect(signatureFromClient('')).toBeUndefined();
    expect(signatureFromClient('llm-mux:openai-responses:gAAAA')).toEqual({ protocol: 'openai-responses', value: 'gAAAA' });
    expect(signatureFromClient('llm-mux:anthropic:EuYD')).toEqual({ protocol: 'anthropic', value: 'llm-mux:anthropic:EuYD' });
    expect(signatureFromClient('EuYD')).toEqual({ protocol: 'anthropic', value: 'EuYD' });
  });
});
