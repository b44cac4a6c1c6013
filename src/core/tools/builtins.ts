/** The built-in tools, by name. */
import { calculator } from './calculator.js';
import { getTime } from './get-time.js';
import type { Tool } from './tool.js';

/** Every built-in tool. */
export const BUILTIN_TOOLS: readonly Tool[] = [calculator, getTime];

/** Looks up built-ins by name; unknown names throw, listing what exists. */
export function builtinTools(names?: readonly string[]): Tool[] {
  if (!names) return [...BUILTIN_TOOLS];
  return names.map((name) => {
    const t = BUILTIN_TOOLS.find((b) => b.name === name);
    if (!t) throw new Error(`unknown tool "${name}" (built-ins: ${BUILTIN_TOOLS.map((b) => b.name).join(', ')})`);
    return t;
  });
}
