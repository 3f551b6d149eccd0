import { readFileSync } from 'node:fs';

// The compiled binary has no repository beside it: scripts/build.ts inlines the example.
declare const __LLM_MUX_EXAMPLE_YAML__: string | undefined;

/** The documented example config, which `llm-mux init` writes as config.yaml. */
export function exampleConfigText(): string {
  if (typeof __LLM_MUX_EXAMPLE_YAML__ === 'string') return __LLM_MUX_EXAMPLE_YAML__;
  return readFileSync(new URL('../../llm-mux.example.yaml', import.meta.url), 'utf8');
}
