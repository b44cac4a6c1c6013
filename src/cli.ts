/**
 * The Commander program. Options are declared here (cheap) so `--help` needs no command module; each command's
 * implementation is imported only when it runs.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { agentorVersion } from './core/package.js';
import type { DeployCommandOptions } from './commands/deploy.js';
import type { ServeCommandOptions } from './commands/serve.js';
import type { ChatCommandOptions } from './commands/chat.js';
import type {
  SessionsShowOptions,
  SessionsExportOptions,
  SessionsListOptions,
  SessionsPruneOptions,
  SessionsRemoveOptions,
} from './commands/sessions.js';

const int =
  (name: string, min: number) =>
  (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be an integer ≥ ${min}.`);
    return n;
  };
const collectList = (value: string, previous: string[] = []): string[] => [...previous, value];

function providerOptions(cmd: Command): Command {
  return cmd
    .option('-m, --model <id>', 'model id (env AGENTOR_MODEL; "demo" = offline demo)')
    .option('--base-url <url>', 'OpenAI-compatible API base URL (env OPENAI_BASE_URL), e.g. http://localhost:11434/v1')
    .option('--api-key-env <name>', 'read the API key from this environment variable instead of OPENAI_API_KEY')
    .option('--demo', 'use the offline scripted demo model (no API key needed)');
}

/** Builds the program (exported for tests, which call `exitOverride()`). */
export function buildProgram(): Command {
  const program = new Command('agentor')
    .description('Stream AI agents in the terminal, as JSON events, or over HTTP.')
    .version(agentorVersion(), '-v, --version', 'print the version')
    .exitOverride() // inherited by every subcommand added below: usage errors become CommanderErrors
    .showHelpAfterError('(run with --help for usage)')
    .configureHelp({ sortOptions: false });

  const chat = program
    .command('chat')
    .description('chat with a model or agent: interactive in a terminal, streamed text when piped, NDJSON with --json')
    .argument('[prompt...]', 'the prompt; piped stdin is added as context');
  providerOptions(chat)
    .option('--json', 'write one JSON event per line (NDJSON) to stdout')
    .option('--plain', 'plain streamed text even in a terminal')
    .option('-i, --interactive', 'open the interactive chat (with the prompt as the first message)')
    .option('--events <types>', 'only these event types, comma-separated (e.g. text_delta,run_end)')
    .option('--buffer-ms <ms>', 'coalesce text deltas arriving within this many ms', int('--buffer-ms', 0))
    .option('--timeout <duration>', 'end the run after this long (e.g. 30s, 2m): status timeout, exit 124')
    .option('--max-turns <n>', 'model calls per run before stopping (default 20)', int('--max-turns', 1))
    .option('--system <text>', 'system prompt (instructions) for the default agent')
    .option('--no-stdin', 'do not read piped standard input')
    .option('--agent <path|name>', 'agent file or name (repeat to run several agents on the same prompt)', collectList)
    .option('--mcp-config <file>', 'MCP servers in the mcpServers JSON format')
    .option('--a2a <url>', 'talk to a remote A2A agent instead of a model')
    .option('-c, --continue', 'continue the latest session of this directory')
    .option('-r, --resume [id]', 'continue a session by id or unique prefix (without one: pick in a terminal)')
    .option('--no-session', 'do not save this chat as a session')
    .option(
      '--context-window <tokens>',
      "the model's context window, for the context used display",
      int('--context-window', 1),
    )
    .option(
      '--approve <mode>',
      'tool calls that may change things: ask (default), auto (run them), never (refuse them)',
    )
    .option(
      '--allow-tool <name>',
      'run this tool without asking: a name, server__tool or server__* (repeatable)',
      collectList,
    )
    .addHelpText(
      'after',
      '\nExit codes: 0 completed, 1 failed or max_turns, 2 usage/configuration, 124 timeout, 130 cancelled by Ctrl+C (SIGINT), 143 by SIGTERM, 129 by SIGHUP.\n' +
        '\nExamples:\n  agentor chat --demo\n  agentor chat "What is 17 * 23?"\n  cat notes.md | agentor chat "summarise this"\n' +
        '  agentor chat --json "hi" | jq -c \'select(.type=="text_delta")\'\n  agentor chat -c "and now in French"',
    )
    .action(async (prompt: string[], opts: ChatCommandOptions) => {
      const { runChat } = await import('./commands/chat.js');
      process.exitCode = await runChat(prompt, opts);
    });

  const serve = program
    .command('serve')
    .description('serve an agent over HTTP: SSE /chat, WebSocket /ws, A2A, and an OpenAI-compatible /v1 endpoint')
    .option('--agent <path|name>', 'agent file or name')
    .option('--host <host>', 'interface to bind (anything but loopback requires --token)', '127.0.0.1')
    .option('--port <port>', 'port (env PORT, default 8000)', int('--port', 0))
    .option('--token <token>', 'require Authorization: Bearer <token> (env AGENTOR_TOKEN)')
    .option('--cors <origin>', 'allow cross-origin requests from this origin')
    .option('--public-url <url>', 'the URL clients reach this server at (for the A2A agent card)')
    .option('--max-body <size>', 'largest accepted request body (default 1mb)')
    .option('--headers-timeout <duration>', 'time for request headers to arrive, else 408 (default 15s)')
    .option('--request-timeout <duration>', 'time for a whole request to arrive, else 408 (default 60s)')
    .option(
      '--max-connections <n>',
      'connections served at once, more get 503 (default: by memory)',
      int('--max-connections', 1),
    )
    .option(
      '--a2a-task-store-mb <n>',
      'memory for finished A2A tasks, oldest dropped first (default 64)',
      int('--a2a-task-store-mb', 1),
    )
    .option(
      '--store <url>',
      'where sessions and A2A tasks live: memory, or redis://… shared by replicas (env AGENTOR_STORE, REDIS_URL)',
    )
    .option('--store-lease <duration>', "a replica's lease in the store: its running tasks fail after it (default 15s)")
    .option(
      '--sessions-dir <dir>',
      'keep session_id and A2A contextId conversations as session files in this directory (they survive a restart)',
    )
    .option(
      '--store-prefix <prefix>',
      'prefix of every Redis key, so deployments can share one Redis (default agentor:; env AGENTOR_STORE_PREFIX)',
    )
    .option('--mcp-config <file>', 'MCP servers in the mcpServers JSON format')
    .option('--approve <mode>', 'tool calls that may change things: ask the client (default), auto, never')
    .option(
      '--allow-tool <name>',
      'run this tool without asking: a name, server__tool or server__* (repeatable)',
      collectList,
    )
    .option(
      '--approval-timeout <duration>',
      'how long a tool call waits for the client to approve it, then denied (default 5m)',
    )
    .option(
      '--metrics-port <port>',
      'serve /metrics on this port of 127.0.0.1 (no token) instead',
      int('--metrics-port', 0),
    )
    .option('--no-metrics', 'do not serve /metrics')
    .option('--log-format <format>', 'request and run logs: json or text (default: text on a terminal, else json)')
    .option('--log-level <level>', 'debug, info, warn or error (default info)');
  providerOptions(serve).action(async (opts: ServeCommandOptions) => {
    const { runServe } = await import('./commands/serve.js');
    process.exitCode = await runServe(opts);
  });

  program
    .command('deploy')
    .description(
      'write a self-contained deployment (Docker, Compose or Kubernetes) for an agent; secrets never included',
    )
    .option('--agent <path|name>', 'agent file or name')
    .option('--name <name>', 'service name (default: the agent name)')
    .addOption(
      new Option('--target <target>', 'what to write').choices(['docker', 'compose', 'kubernetes']).default('docker'),
    )
    .option('--out <dir>', 'output directory (default ./deploy/<name>)')
    .option('--replicas <n>', 'replicas (compose, kubernetes); 2 or more share a Redis store', int('--replicas', 1), 1)
    .option('--with-redis', 'deploy a Redis for the replicas to share with the service (compose, kubernetes)')
    .option(
      '--redis-url-secret <name>',
      "kubernetes: your Redis for the replicas, its URL read from this Secret's key REDIS_URL (or name:key)",
    )
    .option(
      '--service-monitor',
      'kubernetes: also write a ServiceMonitor so the Prometheus operator scrapes /metrics (instead of pod annotations)',
    )
    .option('--image <ref>', 'image reference to build and run')
    .option('--dry-run', 'print the plan and write nothing')
    .option('--apply', 'also run docker build/push or kubectl apply')
    .action(async (opts: DeployCommandOptions) => {
      const { runDeploy } = await import('./commands/deploy.js');
      process.exitCode = await runDeploy(opts);
    });

  program
    .command('agents')
    .description('list the agent files found in ./agents and the config directory')
    .option('--json', 'as JSON')
    .action(async (opts: { json?: boolean }) => {
      const { runAgents } = await import('./commands/agents.js');
      process.exitCode = await runAgents(opts);
    });

  const dirOption = (): Option =>
    new Option(
      '--dir <dir>',
      'the sessions directory (default: $XDG_STATE_HOME/agentor/sessions; serve --sessions-dir)',
    );
  // --dir before the subcommand too (`agentor sessions --dir DIR prune`), as the README writes it.
  const sessions = program
    .command('sessions')
    .description('the saved chats: list, show, export, rm, prune (resume one with agentor chat --resume <id>)')
    .addOption(dirOption());
  sessions
    .command('list', { isDefault: true })
    .description('list saved sessions, most recent first')
    .option('--here', 'only sessions started in this directory')
    .option('-n, --limit <n>', 'at most this many (default 20)', int('--limit', 1))
    .option('--json', 'as JSON (every session, unless --limit)')
    .addOption(dirOption())
    .action(async (_opts: SessionsListOptions, cmd: Command) => {
      const { runSessionsList } = await import('./commands/sessions.js');
      process.exitCode = await runSessionsList(cmd.optsWithGlobals<SessionsListOptions>());
    });
  sessions
    .command('show')
    .description('print a session as a conversation')
    .argument('<id>', 'session id or unique prefix')
    .option('--json', 'the raw log: the header and every record, one JSON object a line')
    .addOption(dirOption())
    .action(async (id: string, _opts: SessionsShowOptions, cmd: Command) => {
      const { runSessionsShow } = await import('./commands/sessions.js');
      process.exitCode = await runSessionsShow(id, cmd.optsWithGlobals<SessionsShowOptions>());
    });
  sessions
    .command('export')
    .description('write a session out: its log as JSONL (default) or a Markdown transcript')
    .argument('<id>', 'session id or unique prefix')
    .addOption(
      new Option('--format <format>', 'jsonl (json is the same) or md')
        .choices(['jsonl', 'json', 'md'])
        .default('jsonl'),
    )
    .option('-o, --output <file>', 'write to this file instead of stdout')
    .addOption(dirOption())
    .action(async (id: string, _opts: SessionsExportOptions, cmd: Command) => {
      const { runSessionsExport } = await import('./commands/sessions.js');
      process.exitCode = await runSessionsExport(id, cmd.optsWithGlobals<SessionsExportOptions>());
    });
  sessions
    .command('rm')
    .description('remove sessions')
    .argument('<id...>', 'session ids or unique prefixes')
    .option('--force', 'also a session another agentor process is writing')
    .addOption(dirOption())
    .action(async (ids: string[], _opts: SessionsRemoveOptions, cmd: Command) => {
      const { runSessionsRemove } = await import('./commands/sessions.js');
      process.exitCode = await runSessionsRemove(ids, cmd.optsWithGlobals<SessionsRemoveOptions>());
    });
  sessions
    .command('prune')
    .description('remove sessions not written to for a while')
    .option('--older-than <age>', 'e.g. 7d, 12h (default 30d)')
    .option('--dry-run', 'list what would be removed')
    .addOption(dirOption())
    .action(async (_opts: SessionsPruneOptions, cmd: Command) => {
      const { runSessionsPrune } = await import('./commands/sessions.js');
      process.exitCode = await runSessionsPrune(cmd.optsWithGlobals<SessionsPruneOptions>());
    });

  return program;
}

/** Entry point used by bin/agentor.js. */
export async function main(argv: string[]): Promise<void> {
  const args = argv.slice(2);
  // The hottest path skips building the program at all.
  if (args.length === 1 && (args[0] === '--version' || args[0] === '-v')) {
    process.stdout.write(`${agentorVersion()}\n`);
    return;
  }
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version exit 0; every usage error is exit 2 (usage/configuration).
      process.exitCode = err.exitCode === 0 ? 0 : 2;
      return;
    }
    throw err;
  }
}
