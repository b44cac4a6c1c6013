/**
 * Syntax highlighting of code blocks: highlight.js's core with the languages answers use most, loaded in the
 * background (a fifth of what the whole of highlight.js costs to load), its token classes mapped to terminal styles.
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

const LANGUAGES = [
  'bash',
  'c',
  'cpp',
  'csharp',
  'css',
  'diff',
  'dockerfile',
  'go',
  'ini',
  'java',
  'javascript',
  'json',
  'kotlin',
  'makefile',
  'markdown',
  'php',
  'python',
  'ruby',
  'rust',
  'shell',
  'sql',
  'swift',
  'typescript',
  'xml',
  'yaml',
];

let hljs: Highlighter | undefined;
let loading: Promise<void> | undefined;

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
        const core = require('highlight.js/lib/core') as Highlighter;
        for (const name of LANGUAGES) core.registerLanguage(name, require(`highlight.js/lib/languages/${name}`));
        hljs = core;
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
  if (!hljs || !lang || !hljs.getLanguage(lang)) return undefined;
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
