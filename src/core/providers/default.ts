/**
 * The one default-provider policy: the provider the configuration asks for (flags > environment > config file, as
 * config.ts resolves them). The CLI builds its agents' providers with it, and an Agent built without a provider uses
 * it too, so the library and the CLI answer "which model, where, with which key" the same way.
 */
import { ConfigError, resolveConfig, type ConfigFlags, type ResolvedConfig } from '../config.js';
import { DemoProvider } from './demo.js';
import { OpenAIProvider } from './openai.js';
import { ProviderError, type ModelChunk, type ModelProvider } from './types.js';

/** The provider a resolved configuration asks for. */
export function providerFor(config: ResolvedConfig): ModelProvider {
  if (config.kind === 'demo') return new DemoProvider();
  return new OpenAIProvider({ apiKey: config.apiKey, baseURL: config.baseURL, apiKeyEnv: config.apiKeyEnv });
}

/**
 * Stands in when no provider can be built: every model call fails with the configuration problem, so a run ends
 * `failed` with the message the CLI prints (a library has no exit code 2 to give).
 */
class UnconfiguredProvider implements ModelProvider {
  readonly id = 'unconfigured';
  constructor(private readonly problem: ConfigError) {}

  // eslint-disable-next-line require-yield -- it fails before its first chunk, by design
  async *stream(): AsyncGenerator<ModelChunk> {
    throw new ProviderError(this.problem.message, { code: 'not_configured', cause: this.problem });
  }
}

/** The provider of an Agent that was given none: the configured one for its model, or one whose runs say what is missing. */
export function defaultProvider(model: string | undefined, env: NodeJS.ProcessEnv = process.env): ModelProvider {
  const flags: ConfigFlags = model === undefined ? {} : { model };
  try {
    return providerFor(resolveConfig(flags, env));
  } catch (e) {
    if (e instanceof ConfigError) return new UnconfiguredProvider(e);
    throw e;
  }
}
