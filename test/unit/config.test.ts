import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseDuration, readConfigFile, resolveConfig } from '../../src/core/config.js';
import { tempDir } from '../support/cleanup.js';

function envWithConfig(config?: unknown, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const home = tempDir('agentor-config-');
  if (config !== undefined) {
    mkdirSync(join(home, 'agentor'), { recursive: true });
    writeFileSync(join(home, 'agentor', 'config.json'), typeof config === 'string' ? config : JSON.stringify(config));
  }
  return { XDG_CONFIG_HOME: home, ...extra };
}

describe('configuration precedence: flags > environment > config file', () => {
  it('uses the config file when nothing else is set', () => {
    const env = envWithConfig({ model: 'file-model', baseUrl: 'http://file/v1', apiKeyEnv: 'MY_KEY' }, { MY_KEY: 'k' });
    expect(resolveConfig({}, env)).toEqual({
      kind: 'openai',
      model: 'file-model',
      baseURL: 'http://file/v1',
      apiKey: 'k',
      apiKeyEnv: 'MY_KEY',
    });
  });

  it('environment beats the file, flags beat the environment', () => {
    const env = envWithConfig(
      { model: 'file-model', baseUrl: 'http://file/v1' },
      { AGENTOR_MODEL: 'env-model', OPENAI_BASE_URL: 'http://env/v1', OPENAI_API_KEY: 'e', OTHER: 'o' },
    );
    expect(resolveConfig({}, env)).toMatchObject({ model: 'env-model', baseURL: 'http://env/v1', apiKey: 'e' });
    expect(resolveConfig({ model: 'flag-model', baseUrl: 'http://flag/v1', apiKeyEnv: 'OTHER' }, env)).toMatchObject({
      model: 'flag-model',
      baseURL: 'http://flag/v1',
      apiKey: 'o',
    });
  });

  it('selects the demo with --demo or --model demo', () => {
    expect(resolveConfig({ demo: true }, envWithConfig())).toEqual({ kind: 'demo', model: 'demo' });
    expect(resolveConfig({ model: 'demo' }, envWithConfig())).toEqual({ kind: 'demo', model: 'demo' });
  });

  it('without a provider, names OPENAI_API_KEY, --base-url and --demo', () => {
    expect(() => resolveConfig({}, envWithConfig())).toThrow(ConfigError);
    expect(() => resolveConfig({}, envWithConfig())).toThrow(/OPENAI_API_KEY.*--base-url.*--demo/s);
  });

  it('a base URL alone is enough (local servers need no key)', () => {
    expect(resolveConfig({ baseUrl: 'http://127.0.0.1:11434/v1' }, envWithConfig())).toMatchObject({
      kind: 'openai',
      apiKey: undefined,
    });
  });

  it('--api-key-env naming an unset variable is an error', () => {
    expect(() => resolveConfig({ apiKeyEnv: 'NOPE' }, envWithConfig())).toThrow(/NOPE/);
  });

  it('rejects a broken config file and a key stored in it, naming the file', () => {
    expect(() => readConfigFile(envWithConfig('{oops'))).toThrow(/config\.json is not valid JSON/);
    expect(() => readConfigFile(envWithConfig({ apiKey: 'sk-secret' }))).toThrow(/apiKeyEnv/);
  });
});

describe('parseDuration', () => {
  it.each([
    ['30s', 30_000],
    ['2m', 120_000],
    ['500ms', 500],
    ['1h', 3_600_000],
    ['1.5', 1500],
  ])('%s', (text, ms) => expect(parseDuration(text)).toBe(ms));
  it.each(['', 'soon', '-1s', '0'])('rejects %j', (text) => expect(() => parseDuration(text)).toThrow(ConfigError));
});
