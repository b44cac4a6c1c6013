import { describe, expect, it } from 'vitest';
import { Agent } from '../../src/core/agent.js';
import type { RunEndEvent } from '../../src/core/events.js';
import { App } from '../../src/ui/App.js';
import { hang, ScriptedProvider, text, type Turn } from './helpers.js';
import { renderInTerminal } from './terminal-render.js';

function setup(turns: Record<string, Turn>) {
  const providers = Object.fromEntries(
    Object.entries(turns).map(([name, turn]) => [name, new ScriptedProvider([turn])]),
  );
  const agents = Object.entries(providers).map(
    ([name, provider]) => new Agent({ name, model: `${name}-model`, provider, tools: [] }),
  );
  let ends: RunEndEvent[] | undefined;
  const ui = renderInTerminal(
    <App agents={agents} firstPrompt="same question" once color={false} onExit={(_, e) => (ends = e)} />,
  );
  const frames = (): string => ui.text();
  return { ui, providers, frames, frame: () => ui.text(), ends: () => ends };
}

describe('App with several agents, one-shot', () => {
  it('runs every agent on the prompt in its own panel and exits with every run_end', async () => {
    const t = setup({ alpha: text('Alpha ', 'says **hi**.'), beta: text('Beta ', 'answers.') });
    await expect.poll(t.ends, { timeout: 5_000 }).toHaveLength(2);
    await expect.poll(t.frames).toContain('2 agents: 2 completed');
    expect(
      t
        .ends()!
        .map((e) => [e.agent, e.status])
        .sort(),
    ).toEqual([
      ['alpha', 'completed'],
      ['beta', 'completed'],
    ]);
    const all = t.frames();
    expect(all).toContain('❯ same question');
    expect(all).toMatch(/── alpha · alpha-model ─+\n\nAlpha says hi\.\n {2}✓ alpha completed/);
    expect(all).toMatch(/── beta · beta-model ─+\n\nBeta answers\.\n {2}✓ beta completed/);
    expect(all).toContain('Alpha says hi.');
    expect(all).toContain('Beta answers.');
    expect(all).toContain('2 agents: 2 completed');
  });

  it('cancels every agent with one Esc: both requests aborted, both panels marked cancelled', async () => {
    const t = setup({ alpha: hang('Alpha partial'), beta: hang('Beta partial') });
    await expect.poll(t.frame).toContain('Alpha partial');
    await expect.poll(t.frame).toContain('Beta partial');
    expect(t.frame()).toContain('esc or ctrl+c to cancel');
    t.ui.stdin.write('\x1b');
    await expect.poll(t.ends, { timeout: 5_000 }).toHaveLength(2);
    await expect.poll(t.frames).toContain('2 agents: 2 cancelled');
    expect(t.ends()!.map((e) => e.status)).toEqual(['cancelled', 'cancelled']);
    expect(t.providers['alpha']!.aborted).toBe(true);
    expect(t.providers['beta']!.aborted).toBe(true);
    const all = t.frames();
    expect(all).toMatch(/⏹ alpha cancelled/);
    expect(all).toMatch(/⏹ beta cancelled/);
    expect(all).toContain('Alpha partial');
  });

  it('cancels with Ctrl+C too; a run that already finished keeps its status', async () => {
    const t = setup({ alpha: text('Done already.'), beta: hang('Still going') });
    await expect.poll(t.frames).toMatch(/── alpha · alpha-model[\s\S]*Done already\./);
    await expect.poll(t.frame).toContain('Still going');
    t.ui.stdin.write('\x03');
    await expect.poll(t.ends, { timeout: 5_000 }).toHaveLength(2);
    expect(t.ends()!.map((e) => [e.agent, e.status])).toEqual([
      ['alpha', 'completed'],
      ['beta', 'cancelled'],
    ]);
  });

  it('shows a failure in its agent’s panel with the error, next to a completed one', async () => {
    const broken: Turn = async function* () {
      yield { type: 'text', text: 'Half an' };
      throw new Error('upstream exploded');
    };
    const t = setup({ alpha: text('Fine.'), beta: broken });
    await expect.poll(t.ends, { timeout: 5_000 }).toHaveLength(2);
    await expect.poll(t.frames).toContain('2 agents: ');
    const all = t.frames();
    expect(all).toMatch(/── beta · beta-model ─+\n\nHalf an\n {2}✗ beta failed: upstream exploded/);
    expect(all).toContain('upstream exploded');
    expect(all).toContain('2 agents: ');
  });

  it('hands tokens to the screen in frame-rate batches, not one render per token', async () => {
    // Each token arrives in its own macrotask, as from a socket: without batching every one would be a render.
    const spaced = (n: number): Turn =>
      async function* () {
        for (let i = 0; i < n; i++) {
          await new Promise((r) => setImmediate(r));
          yield { type: 'text', text: `w${i} ` };
        }
      };
    const t = setup({ alpha: spaced(400), beta: spaced(400) });
    await expect.poll(t.ends, { timeout: 15_000 }).toHaveLength(2);
    await expect.poll(t.frames).toContain('2 agents: 2 completed');
    expect(t.frames()).toContain('w399');
    expect(t.ui.writes()).toBeLessThan(400);
  });
});
