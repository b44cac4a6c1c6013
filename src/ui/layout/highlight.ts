/**
 * Syntax highlighting of code blocks: highlight.js's core with the languages answers use most, loaded in the
 * background (a fifth of what the whole of highlight.js costs to load), each language registered at its first code
 * block, its token classes mapped to terminal styles.
 * Until it has loaded, and for languages it does not know, code is drawn in one colour.
 */
import { createRequire } from 'node:module';
import { FG, merge, type Span, type Style } from './style.js';

/** The part of highlight.js used here (its own type declarations pull the DOM library into every program). */
interface Highlighter {
  registerLanguage(name: string, language: unknown): void;
  getLanguage(name: string): unknown;
  highlight(code: string, options: { language: string; ignoreIllegals: boolean }): { value: string };
}

/**
 * The languages answers use most: each with the other names a fence may give it and the languages it embeds (a
 * `<script>` in HTML), as highlight.js defines them (test/unit/highlight.test.ts checks this against highlight.js). A
 * language is registered when a code block first asks for it: registering all of them took 60–80 ms of CPU at the
 * first code block of every answer, for languages it never showed.
 */
const LANGUAGES: Record<string, { aliases: readonly string[]; embeds?: readonly string[] }> = {
  bash: { aliases: ['sh', 'zsh'] },
  c: { aliases: ['h'] },
  cpp: { aliases: ['cc', 'c++', 'h++', 'hpp', 'hh', 'hxx', 'cxx'] },
  csharp: { aliases: ['cs', 'c#'] },
  css: { aliases: [] },
  diff: { aliases: ['patch'] },
  dockerfile: { aliases: ['docker'], embeds: ['bash'] },
  go: { aliases: ['golang'] },
  ini: { aliases: ['toml'] },
  java: { aliases: ['jsp'] },
  javascript: { aliases: ['js', 'jsx', 'mjs', 'cjs'], embeds: ['xml', 'css'] },
  json: { aliases: ['jsonc', 'json5'] },
  kotlin: { aliases: ['kt', 'kts', 'ktm', 'ktx'] },
  makefile: { aliases: ['mk', 'mak', 'make'] },
  markdown: { aliases: ['md', 'mkdown', 'mkd'], embeds: ['xml'] },
  php: { aliases: [] },
  python: { aliases: ['py', 'gyp', 'ipython'] },
  ruby: { aliases: ['rb', 'gemspec', 'podspec', 'thor', 'irb'] },
  rust: { aliases: ['rs'] },
  shell: { aliases: ['console', 'shellsession'], embeds: ['bash'] },
  sql: { aliases: [] },
  swift: { aliases: [] },
  typescript: { aliases: ['ts', 'tsx', 'mts', 'cts'], embeds: ['xml', 'css'] },
  xml: {
    aliases: ['html', 'xhtml', 'rss', 'atom', 'xjb', 'xsd', 'xsl', 'plist', 'wsf', 'svg'],
    embeds: ['css', 'javascript'],
  },
  yaml: { aliases: ['yml'], embeds: ['ruby'] },
};

/** Every name a fence may use, to the language it means. */
const BY_NAME = new Map<string, string>(
  Object.entries(LANGUAGES).flatMap(([name, l]) => [
    [name, name] as const,
    ...l.aliases.map((a) => [a, name] as const),
  ]),
);

/** The languages known here, each with its other names and the languages it embeds. */
export const KNOWN_LANGUAGES: Readonly<typeof LANGUAGES> = LANGUAGES;

let hljs: Highlighter | undefined;
let loading: Promise<void> | undefined;
let load: ((name: string) => unknown) | undefined;
const registered = new Set<string>();

/** Registers `name` (a language of LANGUAGES) and what it embeds, once; false when that failed. */
function register(name: string): boolean {
  if (registered.has(name)) return true;
  registered.add(name);
  try {
    hljs?.registerLanguage(name, load?.(`highlight.js/lib/languages/${name}`));
  } catch {
    return false;
  }
  for (const embedded of LANGUAGES[name]?.embeds ?? []) register(embedded);
  return true;
}

/** highlight.js's token classes, as terminal styles (the 16 ANSI colours, so any terminal theme applies). */
const THEME: Record<string, Style> = {
  keyword: { fg: FG.blue },
  'selector-tag': { fg: FG.blue },
  literal: { fg: FG.blue },
  name: { fg: FG.blue },
  built_in: { fg: FG.cyan },
  type: { fg: FG.cyan },
  attr: { fg: FG.cyan },
  attribute: { fg: FG.cyan },
  number: { fg: FG.green },
  string: { fg: FG.red },
  regexp: { fg: FG.red },
  'template-variable': { fg: FG.red },
  symbol: { fg: FG.magenta },
  bullet: { fg: FG.magenta },
  function: { fg: FG.yellow },
  title: { fg: FG.yellow },
  section: { fg: FG.yellow, bold: true },
  comment: { fg: FG.gray, italic: true },
  quote: { fg: FG.gray, italic: true },
  doctag: { fg: FG.gray },
  meta: { fg: FG.gray },
  tag: { fg: FG.gray },
  addition: { fg: FG.green },
  deletion: { fg: FG.red },
  emphasis: { italic: true },
  strong: { bold: true },
  link: { underline: true },
};

/** Loads the highlighter in the background (once); resolves when it is ready (or failed to load). */
export function loadHighlighter(): Promise<void> {
  loading ??= new Promise<void>((resolve) =>
    setImmediate(() => {
      try {
        const require = createRequire(import.meta.url);
        hljs = require('highlight.js/lib/core') as Highlighter;
        load = require;
      } catch {
        // Highlighting is a nicety: code stays in one colour.
      }
      resolve();
    }),
  );
  return loading;
}

const ENTITIES: Record<string, string> = {
  '&amp;': '&',
  '&lt;': '<',
  '&gt;': '>',
  '&quot;': '"',
  '&#x27;': "'",
  '&#39;': "'",
};
const MARKUP = /<span class="([^"]*)">|<\/span>|&(?:amp|lt|gt|quot|#x27|#39);|[^<&]+/g;

/**
 * `code` highlighted as `lang`, one span list per line; undefined when the highlighter has not loaded or does not
 * know the language.
 */
export function highlightLines(code: string, lang: string, base: Style = {}): Span[][] | undefined {
  const name = BY_NAME.get(lang.toLowerCase());
  if (!hljs || !name || !register(name) || !hljs.getLanguage(lang)) return undefined;
  let html: string;
  try {
    html = hljs.highlight(code, { language: lang, ignoreIllegals: true }).value;
  } catch {
    return undefined;
  }
  const stack: Style[] = [base];
  const lines: Span[][] = [[]];
  for (const m of html.matchAll(MARKUP)) {
    const token = m[0];
    if (m[1] !== undefined) {
      const scope = m[1].split(' ')[0]?.replace(/^hljs-/, '') ?? '';
      stack.push(merge(stack.at(-1) as Style, THEME[scope] ?? {}));
    } else if (token === '</span>') {
      if (stack.length > 1) stack.pop();
    } else {
      const text = ENTITIES[token] ?? token;
      const style = stack.at(-1) as Style;
      const parts = text.split('\n');
      parts.forEach((part, i) => {
        if (i > 0) lines.push([]);
        if (part) (lines.at(-1) as Span[]).push({ text: part, style });
      });
    }
  }
  return lines;
}
