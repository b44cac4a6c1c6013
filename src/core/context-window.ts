/**
 * Context windows of well-known models, in tokens, for "context used" displays when neither `--context-window` nor
 * an agent file's `context_window` says. Matched on the model id without a provider prefix ("openai/gpt-4o") or a tag
 * (":latest"), longest prefix first. Unknown models have no window: the display then shows tokens only.
 */
const WINDOWS: ReadonlyArray<readonly [prefix: string, tokens: number]> = [
  ['gpt-4.1', 1_047_576],
  ['gpt-5', 400_000],
  ['gpt-4o', 128_000],
  ['gpt-4-turbo', 128_000],
  ['gpt-4', 8_192],
  ['gpt-3.5-turbo', 16_385],
  ['o1-mini', 128_000],
  ['o1', 200_000],
  ['o3', 200_000],
  ['o4-mini', 200_000],
  ['claude', 200_000],
  ['gemini-1.5-pro', 2_097_152],
  ['gemini', 1_048_576],
  ['llama3.1', 131_072],
  ['llama3.2', 131_072],
  ['llama3.3', 131_072],
  ['llama-3.1', 131_072],
  ['llama-3.2', 131_072],
  ['llama-3.3', 131_072],
  ['llama3', 8_192],
  ['qwen2.5', 32_768],
  ['qwen3', 40_960],
  ['mistral-large', 131_072],
  ['mistral-small', 32_768],
  ['mistral', 32_768],
  ['deepseek', 65_536],
  ['phi4', 16_384],
  ['gemma3', 131_072],
];

const SORTED = [...WINDOWS].sort((a, b) => b[0].length - a[0].length);

/** The context window of a well-known model, or undefined. */
export function contextWindowFor(model: string): number | undefined {
  const id = model
    .toLowerCase()
    .replace(/^.*\//, '')
    .replace(/:[^:]*$/, '');
  for (const [prefix, tokens] of SORTED) if (id.startsWith(prefix)) return tokens;
  return undefined;
}
