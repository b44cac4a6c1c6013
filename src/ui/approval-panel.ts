/**
 * The approval panel's lines: what waits ("waiting for your approval"), which agent wants which tool with which
 * arguments and why it is asked, and the keys. Model-chosen text (tool name, arguments) is sanitised and every line is
 * cut to the width, so the panel takes exactly as many rows as it has lines.
 */
import { sanitize } from '../core/text/sanitize.js';
import { formatArgs } from './format.js';
import { displayWidth, truncate } from './layout/width.js';
import type { ApprovalStep, PendingApproval } from './use-approvals.js';

const ARG_LINES = 4;

/** The panel for `pending` at `step`, `width` columns wide; `agentName` when several agents share the screen. */
export function approvalLines(
  pending: PendingApproval,
  step: ApprovalStep,
  width: number,
  color: boolean,
  several: boolean,
): string[] {
  const { request } = pending;
  const fit = (line: string): string => truncate(line, Math.max(1, width));
  const yellow = (s: string): string => (color ? `\x1b[33m${s}\x1b[39m` : s);
  const dim = (s: string): string => (color ? `\x1b[2m${s}\x1b[22m` : s);
  const name = sanitize(request.name);
  const who = several ? `${sanitize(request.agent)} wants to run ` : 'run ';
  const args = formatArgs(request.args)
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => sanitize(l));
  const shownArgs = args.slice(0, ARG_LINES);
  if (args.length > ARG_LINES) shownArgs.push(`… ${args.length - ARG_LINES} more lines`);
  const lines = [
    yellow(fit(`⏸ waiting for your approval: ${who}${name}?`)),
    ...shownArgs.map((l) => dim(fit(`  ${l}`))),
    dim(fit(`  ${sanitize(request.reason)}`)),
  ];
  if (step.kind === 'reason') {
    const prompt = 'why not? (for the model, optional) ❯ ';
    let text = sanitize(step.text);
    // The end of a long reason stays in view, where the typing is.
    while (text && displayWidth(`${prompt}${text}█`) > width) text = text.slice(1);
    lines.push(fit(`${prompt}${text}█`));
    lines.push(dim(fit('enter denies · esc goes back')));
  } else {
    lines.push(fit(`y allow once · a always allow ${name} in this session · n deny · esc cancel`));
  }
  return lines;
}
