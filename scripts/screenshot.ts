/**
 * Renders the README picture from a real run: `agentor chat --demo` in a pseudo-terminal (node-pty), its output parsed
 * by a headless xterm.js, and the screen written as an SVG (docs/demo.svg) while the second turn streams, so the
 * picture shows a prompt, a tool panel, a markdown answer and the progress line. Because it captures the real CLI,
 * the picture stays true as the UI changes: re-run it after UI work.
 *
 *   npm run build && node --import tsx scripts/screenshot.ts [out.svg]
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { startPty } from '../test/pty/terminal.js';

const COLS = 96;
const ROWS = 34;
const out = resolve(process.argv[2] ?? 'docs/demo.svg');

// The 16 ANSI colours (a calm dark theme) and xterm's 256-colour extension.
const ANSI = [
  '#1e2127',
  '#e06c75',
  '#98c379',
  '#d19a66',
  '#61afef',
  '#c678dd',
  '#56b6c2',
  '#abb2bf',
  '#5c6370',
  '#e06c75',
  '#98c379',
  '#e5c07b',
  '#61afef',
  '#c678dd',
  '#56b6c2',
  '#ffffff',
];
const FG = '#d7dae0';
const BG = '#1e2127';
function palette(i: number): string {
  if (i < 16) return ANSI[i] as string;
  if (i < 232) {
    const n = i - 16;
    const v = (x: number): number => (x === 0 ? 0 : 55 + x * 40);
    return rgb((v(Math.floor(n / 36)) << 16) | (v(Math.floor(n / 6) % 6) << 8) | v(n % 6));
  }
  const g = 8 + (i - 232) * 10;
  return rgb((g << 16) | (g << 8) | g);
}
const rgb = (n: number): string => `#${n.toString(16).padStart(6, '0')}`;
const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

async function main(): Promise<void> {
  const home = mkdtempSync(join(tmpdir(), 'agentor-shot-'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    XDG_CONFIG_HOME: join(home, 'c'),
    XDG_STATE_HOME: join(home, 's'),
    AGENTOR_DEMO_DELAY_MS: '25',
    TERM: 'xterm-256color',
    COLORTERM: 'truecolor',
    FORCE_COLOR: '3',
  };
  for (const k of ['OPENAI_API_KEY', 'OPENAI_BASE_URL', 'AGENTOR_MODEL', 'NO_COLOR']) delete env[k];
  const t = startPty(['chat', '--demo'], { env, cols: COLS, rows: ROWS });
  try {
    await t.waitFor('/help for commands');
    t.write('What is 17 * 23 + 144?');
    await t.waitFor('❯ What is');
    t.write('\r');
    // Mid-way through the second turn: the tool panel is in history, the answer streams, the progress line ticks.
    await t.waitFor(/a tool call that ran for real[\s\S]*tok\/s/, 20_000);
    const svg = toSvg(t);
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, svg);
    process.stdout.write(`wrote ${out}\n`);
    t.write('\x03');
  } finally {
    t.kill();
  }
}

function toSvg(t: ReturnType<typeof startPty>): string {
  const buf = t.term.buffer.active;
  const top = buf.viewportY;
  let last = ROWS - 1;
  while (
    last > 0 &&
    !buf
      .getLine(top + last)
      ?.translateToString(true)
      .trim()
  )
    last--;
  const cw = 8.4;
  const lh = 19;
  const pad = 16;
  const bar = 30;
  const width = Math.ceil(COLS * cw + pad * 2);
  const height = Math.ceil((last + 1) * lh + pad * 2 + bar);
  const rows: string[] = [];
  const cell = buf.getNullCell();
  for (let y = 0; y <= last; y++) {
    const line = buf.getLine(top + y);
    if (!line) continue;
    const baseY = bar + pad + y * lh + 14;
    let x = 0;
    while (x < COLS) {
      line.getCell(x, cell);
      const style = styleOf(cell);
      let text = '';
      const start = x;
      while (x < COLS) {
        line.getCell(x, cell);
        if (styleKey(styleOf(cell)) !== styleKey(style)) break;
        const ch = cell.getChars();
        text += ch || ' ';
        x += Math.max(1, cell.getWidth());
      }
      if (style.bg)
        rows.push(
          `<rect x="${(pad + start * cw).toFixed(1)}" y="${baseY - 14}" width="${((x - start) * cw).toFixed(1)}" height="${lh}" fill="${style.bg}"/>`,
        );
      if (text.trim()) {
        const attrs = [`x="${(pad + start * cw).toFixed(1)}"`, `y="${baseY}"`, `fill="${style.fg}"`];
        if (style.bold) attrs.push('font-weight="bold"');
        if (style.italic) attrs.push('font-style="italic"');
        if (style.dim) attrs.push('opacity="0.6"');
        if (style.underline) attrs.push('text-decoration="underline"');
        rows.push(`<text ${attrs.join(' ')} xml:space="preserve">${esc(text.replace(/\s+$/, ''))}</text>`);
      }
    }
  }
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="'JetBrains Mono','DejaVu Sans Mono',Menlo,Consolas,monospace" font-size="14">`,
    `<title>agentor chat --demo</title>`,
    `<rect width="100%" height="100%" rx="8" fill="${BG}"/>`,
    `<circle cx="18" cy="15" r="6" fill="#e06c75"/><circle cx="38" cy="15" r="6" fill="#e5c07b"/><circle cx="58" cy="15" r="6" fill="#98c379"/>`,
    `<text x="${width / 2}" y="20" fill="#8b919c" text-anchor="middle" font-size="12">agentor chat --demo</text>`,
    ...rows,
    '</svg>',
    '',
  ].join('\n');
}

interface Style {
  fg: string;
  bg?: string;
  bold: boolean;
  dim: boolean;
  italic: boolean;
  underline: boolean;
}
function styleOf(c: ReturnType<ReturnType<typeof startPty>['term']['buffer']['active']['getNullCell']>): Style {
  let fg = c.isFgDefault() ? FG : c.isFgRGB() ? rgb(c.getFgColor()) : palette(c.getFgColor());
  let bg = c.isBgDefault() ? undefined : c.isBgRGB() ? rgb(c.getBgColor()) : palette(c.getBgColor());
  if (c.isInverse()) [fg, bg] = [bg ?? BG, fg];
  return {
    fg,
    ...(bg ? { bg } : {}),
    bold: !!c.isBold(),
    dim: !!c.isDim(),
    italic: !!c.isItalic(),
    underline: !!c.isUnderline(),
  };
}
const styleKey = (s: Style): string => `${s.fg}|${s.bg}|${s.bold}|${s.dim}|${s.italic}|${s.underline}`;

await main();
process.exit(0);
