/**
 * A strict parser of the Prometheus text exposition format (0.0.4), for tests that scrape `/metrics`: it throws on
 * anything a Prometheus server would reject or that the format forbids (bad names, bad escapes, a family's samples
 * split up, a sample before its TYPE, duplicate series, histogram buckets that are not cumulative or lack +Inf), so a
 * test that reads a value has also checked that the whole text is well-formed.
 */

/** One sample line. */
export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A metric family: its TYPE, HELP and samples (for a histogram, its _bucket, _sum and _count lines). */
export interface PromFamily {
  name: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  help: string | undefined;
  samples: PromSample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

function fail(lineNo: number, line: string, why: string): never {
  throw new Error(`prometheus text, line ${lineNo}: ${why}: ${JSON.stringify(line)}`);
}

/** Values as Prometheus reads them (Go's ParseFloat: NaN and Inf in any case, e.g. prom-client's "Nan"). */
function parseValue(raw: string, lineNo: number, line: string): number {
  const special = /^([+-]?)(inf|infinity|nan)$/i.exec(raw);
  if (special) return /^nan$/i.test(special[2] as string) ? NaN : special[1] === '-' ? -Infinity : Infinity;
  if (!/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(raw)) fail(lineNo, line, `bad value "${raw}"`);
  return Number(raw);
}

/** Parses `{a="x",b="y"}` starting at `i` (the `{`); returns the labels and the index after `}`. */
function parseLabels(line: string, start: number, lineNo: number): { labels: Record<string, string>; end: number } {
  const labels: Record<string, string> = {};
  let i = start + 1;
  for (;;) {
    if (line[i] === '}') return { labels, end: i + 1 };
    const eq = line.indexOf('=', i);
    if (eq < 0) fail(lineNo, line, 'label without "="');
    const name = line.slice(i, eq);
    if (!LABEL_NAME.test(name)) fail(lineNo, line, `bad label name "${name}"`);
    if (name in labels) fail(lineNo, line, `duplicate label "${name}"`);
    if (line[eq + 1] !== '"') fail(lineNo, line, 'label value not quoted');
    let value = '';
    let j = eq + 2;
    for (;;) {
      const c = line[j];
      if (c === undefined) fail(lineNo, line, 'unterminated label value');
      if (c === '"') break;
      if (c === '\\') {
        const next = line[j + 1];
        if (next === '\\') value += '\\';
        else if (next === '"') value += '"';
        else if (next === 'n') value += '\n';
        else fail(lineNo, line, `bad escape "\\${next ?? ''}" in a label value`);
        j += 2;
        continue;
      }
      value += c;
      j++;
    }
    labels[name] = value;
    i = j + 1;
    if (line[i] === ',') i++;
    else if (line[i] !== '}') fail(lineNo, line, 'expected "," or "}" after a label');
  }
}

/** The family a sample name belongs to, given the declared types. */
function familyOf(name: string, declared: Map<string, PromFamily>): string {
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (name.endsWith(suffix)) {
      const base = name.slice(0, -suffix.length);
      const f = declared.get(base);
      if (f && (f.type === 'histogram' || (f.type === 'summary' && suffix !== '_bucket'))) return base;
    }
  }
  return name;
}

/** Parses a whole exposition; throws on the first violation. */
export function parsePrometheusText(text: string): Map<string, PromFamily> {
  if (text.length > 0 && !text.endsWith('\n')) throw new Error('prometheus text: the last line has no newline');
  const families = new Map<string, PromFamily>();
  const finished = new Set<string>();
  const series = new Set<string>();
  let current: string | undefined;
  const lines = text.split('\n');
  lines.pop();
  lines.forEach((line, index) => {
    const lineNo = index + 1;
    if (line.trim() === '') return;
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
      if (!m) return; // a plain comment
      const [, kind, name, rest] = m as unknown as [string, string, string, string];
      if (!METRIC_NAME.test(name)) fail(lineNo, line, `bad metric name "${name}"`);
      let f = families.get(name);
      if (f && finished.has(name)) fail(lineNo, line, `${kind} for "${name}" after its samples ended`);
      if (!f) {
        f = { name, type: 'untyped', help: undefined, samples: [] };
        families.set(name, f);
      }
      if (current !== undefined && current !== name) finished.add(current);
      current = name;
      if (kind === 'TYPE') {
        if (!TYPES.has(rest)) fail(lineNo, line, `unknown type "${rest}"`);
        if (f.samples.length > 0) fail(lineNo, line, 'TYPE after samples');
        f.type = rest as PromFamily['type'];
      } else {
        if (f.help !== undefined) fail(lineNo, line, 'second HELP');
        if (/\\(?![\\n])/.test(rest)) fail(lineNo, line, 'bad escape in HELP');
        f.help = rest.replace(/\\(\\|n)/g, (_m, c: string) => (c === 'n' ? '\n' : '\\'));
      }
      return;
    }
    const nameMatch = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line);
    if (!nameMatch) fail(lineNo, line, 'a sample must start with a metric name');
    const name = nameMatch[0];
    let i = name.length;
    let labels: Record<string, string> = {};
    if (line[i] === '{') ({ labels, end: i } = parseLabels(line, i, lineNo));
    if (line[i] !== ' ') fail(lineNo, line, 'expected one space before the value');
    const parts = line.slice(i + 1).split(' ');
    if (parts.length < 1 || parts.length > 2 || parts.some((p) => p === '')) fail(lineNo, line, 'bad value field');
    const value = parseValue(parts[0] as string, lineNo, line);
    if (parts[1] !== undefined && !/^-?\d+$/.test(parts[1])) fail(lineNo, line, 'bad timestamp');
    const familyName = familyOf(name, families);
    if (finished.has(familyName)) fail(lineNo, line, `samples of "${familyName}" are not contiguous`);
    if (current !== undefined && current !== familyName) finished.add(current);
    current = familyName;
    let f = families.get(familyName);
    if (!f) {
      f = { name: familyName, type: 'untyped', help: undefined, samples: [] };
      families.set(familyName, f);
    }
    if (f.type === 'histogram' && name === familyName) fail(lineNo, line, 'a histogram sample needs a suffix');
    if (f.type === 'histogram' && name.endsWith('_bucket') && labels['le'] === undefined)
      fail(lineNo, line, 'a bucket without "le"');
    if ((f.type === 'counter' || name.endsWith('_count')) && !(value >= 0)) fail(lineNo, line, 'a negative count');
    const key = `${name}${JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)))}`;
    if (series.has(key)) fail(lineNo, line, 'duplicate series');
    series.add(key);
    f.samples.push({ name, labels, value });
  });
  for (const f of families.values()) if (f.type === 'histogram') checkHistogram(f);
  return families;
}

/** Buckets are cumulative, end at +Inf, and +Inf equals _count, for every label set. */
function checkHistogram(f: PromFamily): void {
  const groups = new Map<string, { buckets: Array<[number, number]>; count?: number; sum?: number }>();
  for (const s of f.samples) {
    const { le, ...rest } = s.labels;
    const key = JSON.stringify(Object.entries(rest).sort(([a], [b]) => (a < b ? -1 : 1)));
    const g = groups.get(key) ?? { buckets: [] };
    groups.set(key, g);
    if (s.name.endsWith('_bucket')) g.buckets.push([le === '+Inf' ? Infinity : Number(le), s.value]);
    else if (s.name.endsWith('_count')) g.count = s.value;
    else if (s.name.endsWith('_sum')) g.sum = s.value;
  }
  for (const [key, g] of groups) {
    const where = `histogram ${f.name}${key}`;
    if (g.count === undefined || g.sum === undefined) throw new Error(`${where}: _count or _sum missing`);
    const last = g.buckets[g.buckets.length - 1];
    if (!last || last[0] !== Infinity) throw new Error(`${where}: no +Inf bucket last`);
    for (let k = 1; k < g.buckets.length; k++) {
      const [le0, v0] = g.buckets[k - 1] as [number, number];
      const [le1, v1] = g.buckets[k] as [number, number];
      if (!(le1 > le0)) throw new Error(`${where}: bucket bounds not increasing`);
      if (v1 < v0) throw new Error(`${where}: buckets not cumulative`);
    }
    if (last[1] !== g.count) throw new Error(`${where}: +Inf bucket ${last[1]} ≠ _count ${g.count}`);
  }
}

function matches(sample: PromSample, labels: Record<string, string>): boolean {
  return Object.entries(labels).every(([k, v]) => sample.labels[k] === v);
}

/**
 * The value of the one sample of `name` whose labels include `labels`; 0 when a counter or histogram has no such
 * series yet (Prometheus clients create a labelled series on its first increment). Throws when several match.
 */
export function sampleValue(
  families: Map<string, PromFamily>,
  name: string,
  labels: Record<string, string> = {},
): number {
  const f = families.get(familyOf(name, families));
  if (!f) throw new Error(`no metric family "${name}" in the scrape`);
  const found = f.samples.filter((s) => s.name === name && matches(s, labels));
  if (found.length > 1) throw new Error(`${found.length} series of ${name} match ${JSON.stringify(labels)}`);
  return found[0]?.value ?? 0;
}

/** Every sample of `name`, for assertions over a whole family. */
export function samplesOf(families: Map<string, PromFamily>, name: string): PromSample[] {
  const f = families.get(familyOf(name, families));
  return f ? f.samples.filter((s) => s.name === name) : [];
}
