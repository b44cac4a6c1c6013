/**
 * The agentor library: build agents, run them as one event stream, shape and serve that stream. The CLI's own parts
 * (commands, the terminal UI and renderers, exit codes, flag parsing, deployment) are not part of it.
 */
export { Agent, Conversation, defaultModel } from './core/agent.js';
export type { AgentInput, AgentOptions, InputMessage, RunResult, StreamChatOptions } from './core/agent.js';
export type { RunOptions } from './core/run.js';
export { EVENT_TYPES, parseEventTypes } from './core/events.js';
export type {
  AgentEvent,
  AgentEventType,
  ApprovalDecider,
  ApprovalDecision,
  ApprovalScope,
  ErrorEvent,
  ErrorInfo,
  EventBase,
  EventPayload,
  MessageEvent,
  ReasoningDeltaEvent,
  RunEndEvent,
  RunStartEvent,
  RunStatus,
  TextDeltaEvent,
  ToolApprovalEvent,
  ToolApprovalRequestEvent,
  ToolCallEvent,
  ToolResultEvent,
  Usage,
} from './core/events.js';
export {
  coalesceText,
  collect,
  filterEvents,
  fromArray,
  joinTurns,
  mergeStreams,
  runEndOf,
  serializeEvents,
} from './core/stream.js';
export { streamAgents } from './core/multi-agent.js';
export { Session, SessionBusyError, SessionNotFoundError } from './core/sessions/session.js';
export type { CompactOptions, NewSession, ResumeOptions, SessionRecordingOptions } from './core/sessions/session.js';
export { FileSessionStore, parseSessionLog } from './core/sessions/file-store.js';
export { MemorySessionStore } from './core/sessions/memory-store.js';
export type { MemorySessionStoreOptions } from './core/sessions/memory-store.js';
export { foldSession, compactedHistory } from './core/sessions/fold.js';
export type { FoldedSession } from './core/sessions/fold.js';
export { isContextLengthError } from './core/sessions/compact.js';
export { resolveSession } from './core/sessions/resolve.js';
export type { ResolvedSession } from './core/sessions/resolve.js';
export type {
  CompactReason,
  LeaseHolder,
  LeaseResult,
  ListOptions,
  LoadedSession,
  RunSession,
  SessionAgent,
  SessionAgentInfo,
  SessionCompactRecord,
  SessionHeader,
  SessionLease,
  SessionRecord,
  SessionRun,
  SessionStore,
  SessionSummary,
  SessionUserRecord,
} from './core/sessions/types.js';
export { contextWindowFor } from './core/context-window.js';
export type { StreamAgentsOptions } from './core/multi-agent.js';
export { tool, toolSpec } from './core/tools/tool.js';
export type { JSONSchema, SchemaLike, Tool, ToolContext, ToolDefinition } from './core/tools/tool.js';
export { calculator, evaluate } from './core/tools/calculator.js';
export { getTime } from './core/tools/get-time.js';
export { BUILTIN_TOOLS, builtinTools } from './core/tools/builtins.js';
export { decide, needsApproval, sessionApprovals } from './core/tools/approval.js';
export type {
  ApprovalAction,
  ApprovalAnswer,
  ApprovalMode,
  ApprovalPolicy,
  ApprovalRequest,
  Approver,
  ApproverContext,
} from './core/tools/approval.js';
export { OpenAIProvider } from './core/providers/openai.js';
export type { OpenAIProviderOptions } from './core/providers/openai.js';
export { DemoProvider, DEMO_MODEL } from './core/providers/demo.js';
export { A2AProvider } from './core/providers/a2a.js';
export type { A2AProviderOptions } from './core/providers/a2a.js';
export { ProviderError } from './core/providers/types.js';
export { imagePart, imageLabel, IMAGE_MAX_BYTES, IMAGE_MAX_COUNT } from './core/providers/images.js';
export type { ImageResult } from './core/providers/images.js';
export { contentText, userContent } from './core/providers/messages.js';
export type {
  AssistantToolCall,
  ChatMessage,
  ContentPart,
  ImageMime,
  ImagePart,
  TextPart,
  UserContent,
  ModelChunk,
  ModelProvider,
  ModelRequest,
  ToolCallRequest,
  ToolSpec,
} from './core/providers/types.js';
export { sanitize, createStreamSanitizer } from './core/text/sanitize.js';
export {
  AgentFileError,
  findAgents,
  loadAgentFile,
  loadAgentRef,
  parseAgentFile,
  resolveAgentRef,
} from './core/agent-file.js';
export type { AgentDefinition, FoundAgent } from './core/agent-file.js';
export { McpPool, loadMcpConfigFile, parseMcpServers } from './core/tools/mcp.js';
export type {
  McpConnectOptions,
  McpHttpServerConfig,
  McpPoolOptions,
  McpServerHealth,
  McpServerConfig,
  McpServersConfig,
  McpStdioServerConfig,
  McpToolset,
} from './core/tools/mcp.js';
export { serve, createRequestHandler } from './server/index.js';
export type {
  AgentRequestHandler,
  HandlerOptions,
  RunningServer,
  ServeOptions,
  SessionOptions,
} from './server/index.js';
