/**
 * Several agents on the same input, concurrently, as one event stream. Events interleave in arrival order; each keeps
 * its own `agent`, `run_id`, `seq` order and single `run_end`, so consumers tell them apart by `run_id` (or `agent`).
 */
import type { Agent, AgentInput, Conversation, StreamChatOptions } from './agent.js';
import type { AgentEvent } from './events.js';
import { mergeStreams } from './stream.js';

/**
 * Per-run options shared by every agent; `conversations[i]` (optional) is agent i's own history. With a `session`,
 * each agent continues its own conversation in it.
 */
export interface StreamAgentsOptions extends Omit<StreamChatOptions, 'conversation' | 'runId'> {
  conversations?: ReadonlyArray<Conversation | undefined>;
}

/**
 * Runs every agent on `input` at once and merges their streams. One `signal` cancels them all; each run still ends
 * with its own `run_end` (status `cancelled`). Stopping iteration early stops every run.
 */
export function streamAgents(
  agents: readonly Agent[],
  input: AgentInput,
  options: StreamAgentsOptions = {},
): AsyncGenerator<AgentEvent> {
  const { conversations, ...shared } = options;
  // One user message for the round in the session, whichever agents answer it.
  options.session?.recordRound(
    input,
    agents.map((a) => a.name),
  );
  const run = (agent: Agent, i: number): AsyncGenerator<AgentEvent> => {
    const conversation = conversations?.[i];
    return agent.streamChat(input, { ...shared, ...(conversation ? { conversation } : {}), serialize: false });
  };
  // One agent needs no merge queue: its stream is passed through untouched (one less hop per event).
  return agents.length === 1 ? run(agents[0] as Agent, 0) : mergeStreams(...agents.map(run));
}
