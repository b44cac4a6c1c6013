import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, defaultModel, parseDuration, readConfigFile, resolveConfig } from '../../src/core/config.js';
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

  it("OPENAI_API_KEY in the environment beats the config file's apiKeyEnv", () => {
    const env = envWithConfig({ apiKeyEnv: 'FILE_KEY' }, { OPENAI_API_KEY: 'from-env', FILE_KEY: 'from-file' });
    expect(resolveConfig({}, env)).toMatchObject({ apiKey: 'from-env', apiKeyEnv: 'OPENAI_API_KEY' });
    expect(resolveConfig({}, envWithConfig({ apiKeyEnv: 'FILE_KEY' }, { OPENAI_API_KEY: 'from-env' }))).toMatchObject({
      apiKey: 'from-env',
    });
  });

  it("the config file's apiKeyEnv naming an unset variable is an error that names that variable and the file", () => {
    const env = envWithConfig({ apiKeyEnv: 'FILE_KEY', baseUrl: 'http://127.0.0.1:1/v1' });
    expect(() => resolveConfig({}, env)).toThrow(ConfigError);
    expect(() => resolveConfig({}, env)).toThrow(/config\.json names "apiKeyEnv": "FILE_KEY", but FILE_KEY is not set/);
    expect(() => resolveConfig({}, env)).not.toThrow(/--api-key-env names/);
  });

  it('the model comes from AGENTOR_MODEL, else the config file, else the default; a broken file is skipped', () => {
    expect(defaultModel(envWithConfig({ model: 'file-model' }, { AGENTOR_MODEL: 'env-model' }))).toBe('env-model');
    expect(defaultModel(envWithConfig({ model: 'file-model' }))).toBe('file-model');
    expect(defaultModel(envWithConfig())).toBe('gpt-4.1-mini');
    expect(defaultModel(envWithConfig('{oops'))).toBe('gpt-4.1-mini');
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
