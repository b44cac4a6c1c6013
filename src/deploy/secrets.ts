/**
 * The last line of defence against shipping a secret: every value that looks secret in the environment or in a `.env*`
 * file is collected, and no generated file may contain one. Only variable *names* ever reach the output.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** A secret value and where it came from (the value itself is never printed). */
export interface KnownSecret {
  /** The variable's name, e.g. OPENAI_API_KEY. */
  name: string;
  /** "environment" or the .env file's path. */
  origin: string;
  value: string;
}

/** Variable names whose values are treated as secrets when they come from the environment. */
export const SECRET_NAME = /KEY|TOKEN|SECRET|PASSW|CREDENTIAL|PRIVATE|AUTH|COOKIE|SIGNATURE|SALT|DSN/i;

// Short values ("1", "true", "dev") appear everywhere in code; they cannot be told apart from ordinary text.
const MIN_SECRET_LENGTH = 6;

/** Parses a dotenv file's `KEY=value` lines (`export`, quotes and comments as dotenv reads them). */
export function parseDotenv(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*)$/.exec(raw);
    if (!m) continue;
    let value = (m[2] ?? '').trim();
    const quote = value[0];
    if ((quote === '"' || quote === "'" || quote === '`') && value.indexOf(quote, 1) > 0) {
      value = value.slice(1, value.indexOf(quote, 1));
      if (quote === '"') value = value.replace(/\\n/g, '\n');
    } else {
      value = value.replace(/\s+#.*$/, '');
    }
    out.set(m[1] ?? '', value);
  }
  return out;
}

/** The `.env`, `.env.local`, `.env.production`… files directly inside `dir`. */
export function dotenvFiles(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isFile() && (e.name === '.env' || e.name.startsWith('.env.')))
      .map((e) => join(dir, e.name))
      .sort();
  } catch {
    return [];
  }
}

// Credentials inside URLs (postgres://user:password@host/db).
const URL_PASSWORD = /:\/\/[^/\s:@]*:([^@\s/]+)@/;
// Long random-looking tokens (sk_live_…, hex, base64) are secrets whatever their variable is called.
const RANDOM_TOKEN = /^(?=.*[0-9])(?=.*[A-Za-z])[A-Za-z0-9_\-+/=.]{20,}$/;

/** The secret parts of one variable, if any: the whole value when its name or shape says secret, a URL's password. */
export function secretValues(name: string, value: string): string[] {
  const out: string[] = [];
  if (
    value.length >= MIN_SECRET_LENGTH &&
    (SECRET_NAME.test(name) || (RANDOM_TOKEN.test(value) && !value.includes('/')))
  ) {
    out.push(value);
  }
  const password = URL_PASSWORD.exec(value)?.[1];
  if (password && password.length >= 4) out.push(password);
  return out;
}

/** Every secret value known here: from the environment and from the `.env*` files in `dirs`. */
export function collectSecrets(env: NodeJS.ProcessEnv, dirs: readonly string[]): KnownSecret[] {
  const secrets: KnownSecret[] = [];
  for (const [name, value] of Object.entries(env)) {
    for (const v of secretValues(name, value ?? '')) secrets.push({ name, origin: 'environment', value: v });
  }
  for (const file of [...new Set(dirs)].flatMap(dotenvFiles)) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const [name, value] of parseDotenv(text)) {
      for (const v of secretValues(name, value)) secrets.push({ name, origin: file, value: v });
    }
  }
  return secrets;
}

/** A secret found in a file that was about to be written. */
export interface SecretLeak {
  file: string;
  secret: string;
  origin: string;
}

/** Finds which of `files` contain which secret values. */
export function findLeaks(
  files: ReadonlyArray<{ path: string; content: string | Uint8Array }>,
  secrets: readonly KnownSecret[],
): SecretLeak[] {
  const leaks: SecretLeak[] = [];
  for (const file of files) {
    const text = typeof file.content === 'string' ? file.content : Buffer.from(file.content).toString('utf8');
    for (const s of secrets) {
      if (text.includes(s.value)) leaks.push({ file: file.path, secret: s.name, origin: s.origin });
    }
  }
  return leaks;
}
