/** The command that (re)creates an account: what every "needs a login" message points at. */
export function loginCommand(provider: string, label?: string): string {
  return `llm-mux login ${provider}${label === undefined ? '' : ` --label ${shellQuote(label)}`}`;
}

/** A value as a POSIX shell word, quoted only when it has to be. */
export function shellQuote(value: string): string {
  return /^[\w.@%+=:,/-]+$/.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`;
}
