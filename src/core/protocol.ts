/** The wire protocols llm-mux speaks, to clients (inbound) and to upstreams (outbound). */
export type Protocol = 'openai-chat' | 'openai-responses' | 'anthropic' | 'gemini' | 'ollama';
