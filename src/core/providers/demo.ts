/**
 * The offline demo model: a scripted provider that goes through the real agent loop. It streams a short markdown
 * answer, asks for a real built-in tool (calculator), and answers with the tool's real result.
 */
import { evaluate } from '../tools/calculator.js';
import { base64Bytes, sizeText } from './images.js';
import { lastUserImages, lastUserText } from './messages.js';
import type { ImagePart, ModelChunk, ModelProvider, ModelRequest } from './types.js';

/** The model id that selects the demo (`--model demo`). */
export const DEMO_MODEL = 'demo';
/** The prompt the demo answers when run without one and without a terminal to chat in. */
export const DEMO_PROMPT = 'What is (17 * 23) + sqrt(144)?';
const DEFAULT_EXPRESSION = '(17 * 23) + sqrt(144)';
const ARITHMETIC = /[-+*/^%().\d\s]*\d[-+*/^%().\d\s]*[-+*/^%][-+*/^%().\d\s]*\d[-+*/^%().\d\s]*/;

function abortableDelay(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0) return signal.aborted ? Promise.reject(signal.reason) : Promise.resolve();
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Splits text the way a tokenizer roughly would: words with their trailing whitespace. */
export function demoTokens(text: string): string[] {
  return text.match(/\s*\S+\s*|\s+/g) ?? [];
}

/** Picks an arithmetic expression the calculator accepts out of the user's prompt, or a default one. */
export function expressionFrom(prompt: string): string {
  const candidates: string[] = [];
  const asked = /(?:what(?:'s|\s+is)|compute|calculate|evaluate)\s+(.+?)[\s?.!]*$/i.exec(prompt.trim());
  if (asked?.[1]) candidates.push(asked[1]);
  const bare = ARITHMETIC.exec(prompt);
  if (bare) candidates.push(bare[0].trim());
  for (const candidate of candidates) {
    try {
      evaluate(candidate);
      return candidate;
    } catch {
      // not an expression the calculator understands; try the next reading
    }
  }
  return DEFAULT_EXPRESSION;
}

/** Options of the demo provider. */
export interface DemoProviderOptions {
  /** Delay between streamed tokens (default 12 ms; env AGENTOR_DEMO_DELAY_MS overrides). */
  tokenDelayMs?: number;
}

/** The scripted offline model. */
export class DemoProvider implements ModelProvider {
  readonly id = 'demo';
  readonly isDemo = true;
  private readonly delay: number;

  constructor(opts: DemoProviderOptions = {}) {
    const env = Number(process.env['AGENTOR_DEMO_DELAY_MS']);
    this.delay = opts.tokenDelayMs ?? (Number.isFinite(env) && process.env['AGENTOR_DEMO_DELAY_MS'] ? env : 12);
  }

  async *stream(req: ModelRequest): AsyncGenerator<ModelChunk> {
    const last = req.messages[req.messages.length - 1];
    const expression = expressionFrom(lastUserText(req.messages));
    const hasCalculator = req.tools.some((t) => t.function.name === 'calculator');
    let text: string;
    let call: { name: string; arguments: string } | undefined;
    const images = last?.role === 'user' ? lastUserImages(req.messages) : [];
    if (images.length > 0) {
      text = describeImages(images);
    } else if (last?.role === 'tool') {
      text = answerWith(expression, last.content);
    } else if (hasCalculator) {
      text =
        '**Demo mode** — this answer comes from agentor’s offline scripted model, not a real one. It runs through ' +
        'the same agent loop, tool runner and renderers as a real model.\n\nLet me work out `' +
        expression +
        '` with the `calculator` tool.';
      call = { name: 'calculator', arguments: JSON.stringify({ expression }) };
    } else {
      text = '**Demo mode** — the `calculator` tool is not available to this agent, so there is nothing to compute.';
    }
    let output = 0;
    for (const token of demoTokens(text)) {
      await abortableDelay(this.delay, req.signal);
      output++;
      yield { type: 'text', text: token };
    }
    if (call) {
      await abortableDelay(this.delay * 4, req.signal);
      output += 10;
      yield { type: 'tool_calls', calls: [{ id: `call_demo_${Date.now().toString(36)}`, ...call }] };
    }
    const input = Math.ceil(JSON.stringify(req.messages).length / 4);
    yield { type: 'usage', usage: { input_tokens: input, output_tokens: output, total_tokens: input + output } };
  }
}

/** What the demo truly knows of images: what their headers said (it does not look at the pixels). */
function describeImages(images: readonly ImagePart[]): string {
  const lines = images.map((p) => {
    const size = p.width && p.height ? ` ${p.width}×${p.height}` : '';
    const format = p.mime.slice('image/'.length).toUpperCase().replace('WEBP', 'WebP');
    return `I got an image: ${p.name ?? 'unnamed'}, ${format}${size}, ${sizeText(base64Bytes(p.data))}.`;
  });
  return `**Demo mode** — ${lines.join(' ')} The demo model reads only its header; a vision model would describe what it shows.`;
}

function answerWith(expression: string, result: string): string {
  return [
    '## Result',
    '',
    `\`${expression}\` = **${result}**, computed by the real \`calculator\` tool.`,
    '',
    'What you just saw:',
    '',
    '- tokens streamed as they were generated',
    '- a tool call that ran for real, its result fed back to the model',
    '- a final answer built on that result',
    '',
    'The same run from code:',
    '',
    '```ts',
    "const result = await agent.chat('What is " + expression + "?');",
    'console.log(result.text);',
    '```',
    '',
    'To talk to a real model, set `OPENAI_API_KEY` (or pass `--base-url` for a local server) and drop `--demo`.',
  ].join('\n');
}
