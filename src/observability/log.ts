/**
 * Structured logs of a long-running command: one line per record, JSON for collectors (the default when stderr is not
 * a terminal) or `name: message key=value` for a person. Callers pass explicit fields only — request ids, routes,
 * statuses, durations, token counts, error codes — so no key, token or message text can reach a log by accident.
 */

/** How much to log. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** How a log line is written. */
export type LogFormat = 'json' | 'text';

/** The fields of a record; undefined ones are left out. */
export type LogFields = Readonly<Record<string, string | number | boolean | undefined>>;

/** Where lines go (process.stderr by default). */
export interface LogSink {
  write(line: string): unknown;
  isTTY?: boolean;
}

/** A logger. */
export interface Logger {
  readonly format: LogFormat;
  readonly level: LogLevel;
  enabled(level: LogLevel): boolean;
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** An info record written whatever the level: the start-up banner, which people and supervisors wait for. */
  always(msg: string, fields?: LogFields): void;
}

/** Options of `createLogger`. */
export interface LoggerOptions {
  /** The prefix of text lines, e.g. "agentor serve". */
  name: string;
  /** Default: text when the sink is a terminal, JSON otherwise. */
  format?: LogFormat;
  /** Default: info. */
  level?: LogLevel;
  /** Default: the process's stderr, one write per event-loop turn (`stderrSink()`). */
  sink?: LogSink;
}

/** The log levels, least severe first. */
export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];
/** The log formats. */
export const LOG_FORMATS: readonly LogFormat[] = ['json', 'text'];

/** Parses a `--log-level` value; throws with the accepted values. */
export function parseLogLevel(value: string): LogLevel {
  const v = value.trim().toLowerCase();
  const level = v === 'warning' ? 'warn' : v;
  if (!(LOG_LEVELS as readonly string[]).includes(level))
    throw new Error(`unknown log level "${value}" (use ${LOG_LEVELS.join(', ')})`);
  return level as LogLevel;
}

/** Parses a `--log-format` value; throws with the accepted values. */
export function parseLogFormat(value: string): LogFormat {
  const v = value.trim().toLowerCase();
  if (!(LOG_FORMATS as readonly string[]).includes(v))
    throw new Error(`unknown log format "${value}" (use ${LOG_FORMATS.join(' or ')})`);
  return v as LogFormat;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const TEXT_LEVEL: Record<LogLevel, string> = { debug: 'debug: ', info: '', warn: 'warning: ', error: 'error: ' };
const BARE_VALUE = /^[^\s"=\\\x00-\x1f\x7f]+$/;

/** A text value as logfmt writes it: bare when it can be, else a JSON string (which escapes control characters). */
function textValue(value: string | number | boolean): string {
  const s = String(value);
  return BARE_VALUE.test(s) ? s : JSON.stringify(s);
}

/** A sink that gathers the lines of one event-loop turn into one write. */
export interface BatchedSink extends LogSink {
  /** Writes what is gathered now (before a direct write that must come after it, and at exit). */
  flush(): void;
}

/**
 * Gathers lines and writes them to `target` once per event-loop turn. Under load a server logs a line per request and
 * per run; stderr to a pipe is a synchronous write, so one per line stalled the event loop (and every stream on it)
 * once per line. What is gathered is written at the latest when the process exits.
 */
export function batchedSink(target: LogSink): BatchedSink {
  let pending = '';
  let scheduled: NodeJS.Immediate | undefined;
  const flush = (): void => {
    if (scheduled) clearImmediate(scheduled);
    scheduled = undefined;
    if (pending === '') return;
    const text = pending;
    pending = '';
    target.write(text);
  };
  let hooked = false;
  return {
    isTTY: target.isTTY,
    flush,
    write(line: string) {
      pending += line;
      if (!scheduled) scheduled = setImmediate(flush);
      if (!hooked) {
        hooked = true;
        process.once('exit', flush);
      }
      return true;
    },
  };
}

let stderrBatched: BatchedSink | undefined;
/** The process's stderr, batched (see `batchedSink`): one per process, so every writer through it keeps its order. */
export function stderrSink(): BatchedSink {
  return (stderrBatched ??= batchedSink(process.stderr));
}

/** Creates a logger writing whole lines to the sink. */
export function createLogger(options: LoggerOptions): Logger {
  const sink = options.sink ?? stderrSink();
  const format = options.format ?? (sink.isTTY ? 'text' : 'json');
  const level = options.level ?? 'info';
  const min = RANK[level];
  const write = (lvl: LogLevel, msg: string, fields: LogFields | undefined, force = false): void => {
    if (RANK[lvl] < min && !force) return;
    let line: string;
    if (format === 'json') {
      const record: Record<string, string | number | boolean> = { time: new Date().toISOString(), level: lvl, msg };
      if (fields) for (const [k, v] of Object.entries(fields)) if (v !== undefined && !(k in record)) record[k] = v;
      line = JSON.stringify(record);
    } else {
      // Messages may carry names from config files: control characters are escaped, never written raw.
      line = `${options.name}: ${TEXT_LEVEL[lvl]}${msg.replace(/[\x00-\x08\x0b-\x1f\x7f]/g, (c) => JSON.stringify(c).slice(1, -1))}`;
      if (fields) for (const [k, v] of Object.entries(fields)) if (v !== undefined) line += ` ${k}=${textValue(v)}`;
    }
    sink.write(`${line}\n`);
  };
  return {
    format,
    level,
    enabled: (lvl) => RANK[lvl] >= min,
    debug: (msg, fields) => write('debug', msg, fields),
    info: (msg, fields) => write('info', msg, fields),
    warn: (msg, fields) => write('warn', msg, fields),
    error: (msg, fields) => write('error', msg, fields),
    always: (msg, fields) => write('info', msg, fields, true),
  };
}
