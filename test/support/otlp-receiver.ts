/**
 * An in-test OTLP/HTTP trace receiver on 127.0.0.1: accepts `POST /v1/traces` in JSON (`http/json`) or protobuf
 * (`http/protobuf`, the exporters' default) and keeps every span, decoded into one plain shape. The protobuf reader
 * knows only the fields of ExportTraceServiceRequest that tests look at; the rest of the wire is skipped by type.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A received span. Ids are lower-case hex; `kind` is OTLP's number (1 internal, 2 server, 3 client). */
export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  startNs: bigint;
  endNs: bigint;
  attributes: Record<string, unknown>;
  status: { code: number; message?: string };
  /** Span events, in the order they were added. */
  events: Array<{ name: string; timeNs: bigint; attributes: Record<string, unknown> }>;
  resource: Record<string, unknown>;
  /** How it arrived. */
  encoding: 'json' | 'protobuf';
}

/** A running receiver. */
export interface OtlpReceiver {
  /** e.g. http://127.0.0.1:4318 (set as OTEL_EXPORTER_OTLP_ENDPOINT). */
  url: string;
  spans: ReceivedSpan[];
  /** Headers of every export request. */
  requests: Array<Record<string, string | string[] | undefined>>;
  /** Resolves once at least `n` spans arrived that match. */
  waitForSpans(n: number, match?: (s: ReceivedSpan) => boolean): Promise<ReceivedSpan[]>;
  close(): Promise<void>;
}

// ---- protobuf wire reading ----

class Reader {
  pos = 0;
  constructor(readonly buf: Uint8Array) {}
  get done(): boolean {
    return this.pos >= this.buf.length;
  }
  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const b = this.buf[this.pos++];
      if (b === undefined) throw new Error('protobuf: truncated varint');
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
    }
  }
  bytes(): Uint8Array {
    const len = Number(this.varint());
    const out = this.buf.subarray(this.pos, this.pos + len);
    if (out.length !== len) throw new Error('protobuf: truncated field');
    this.pos += len;
    return out;
  }
  fixed64(): bigint {
    const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 8).getBigUint64(0, true);
    this.pos += 8;
    return v;
  }
  double(): number {
    const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 8).getFloat64(0, true);
    this.pos += 8;
    return v;
  }
  /** Calls `on(field, wireType)` for each field; `on` must consume the value or return false to have it skipped. */
  fields(on: (field: number, wire: number) => boolean): void {
    while (!this.done) {
      const tag = Number(this.varint());
      const field = tag >>> 3;
      const wire = tag & 7;
      if (on(field, wire)) continue;
      if (wire === 0) this.varint();
      else if (wire === 1) this.pos += 8;
      else if (wire === 2) this.bytes();
      else if (wire === 5) this.pos += 4;
      else throw new Error(`protobuf: unsupported wire type ${wire}`);
    }
  }
}

const text = new TextDecoder();
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function anyValue(buf: Uint8Array): unknown {
  let value: unknown;
  const r = new Reader(buf);
  r.fields((f, w) => {
    if (f === 1 && w === 2) value = text.decode(r.bytes());
    else if (f === 2 && w === 0) value = r.varint() !== 0n;
    else if (f === 3 && w === 0) value = Number(BigInt.asIntN(64, r.varint()));
    else if (f === 4 && w === 1) value = r.double();
    else if (f === 5 && w === 2) {
      const items: unknown[] = [];
      const a = new Reader(r.bytes());
      a.fields((af, aw) => {
        if (af === 1 && aw === 2) items.push(anyValue(a.bytes()));
        else return false;
        return true;
      });
      value = items;
    } else return false;
    return true;
  });
  return value;
}

function keyValue(buf: Uint8Array, into: Record<string, unknown>): void {
  let key = '';
  let value: unknown;
  const r = new Reader(buf);
  r.fields((f, w) => {
    if (f === 1 && w === 2) key = text.decode(r.bytes());
    else if (f === 2 && w === 2) value = anyValue(r.bytes());
    else return false;
    return true;
  });
  into[key] = value;
}

function protobufSpan(buf: Uint8Array, resource: Record<string, unknown>): ReceivedSpan {
  const span: ReceivedSpan = {
    traceId: '',
    spanId: '',
    parentSpanId: '',
    name: '',
    kind: 0,
    startNs: 0n,
    endNs: 0n,
    attributes: {},
    status: { code: 0 },
    events: [],
    resource,
    encoding: 'protobuf',
  };
  const r = new Reader(buf);
  r.fields((f, w) => {
    if (f === 1 && w === 2) span.traceId = hex(r.bytes());
    else if (f === 2 && w === 2) span.spanId = hex(r.bytes());
    else if (f === 4 && w === 2) span.parentSpanId = hex(r.bytes());
    else if (f === 5 && w === 2) span.name = text.decode(r.bytes());
    else if (f === 6 && w === 0) span.kind = Number(r.varint());
    else if (f === 7 && w === 1) span.startNs = r.fixed64();
    else if (f === 8 && w === 1) span.endNs = r.fixed64();
    else if (f === 9 && w === 2) keyValue(r.bytes(), span.attributes);
    else if (f === 11 && w === 2) {
      const event = { name: '', timeNs: 0n, attributes: {} as Record<string, unknown> };
      const e = new Reader(r.bytes());
      e.fields((ef, ew) => {
        if (ef === 1 && ew === 1) event.timeNs = e.fixed64();
        else if (ef === 2 && ew === 2) event.name = text.decode(e.bytes());
        else if (ef === 3 && ew === 2) keyValue(e.bytes(), event.attributes);
        else return false;
        return true;
      });
      span.events.push(event);
    } else if (f === 15 && w === 2) {
      const s = new Reader(r.bytes());
      s.fields((sf, sw) => {
        if (sf === 2 && sw === 2) span.status.message = text.decode(s.bytes());
        else if (sf === 3 && sw === 0) span.status.code = Number(s.varint());
        else return false;
        return true;
      });
    } else return false;
    return true;
  });
  return span;
}

function decodeProtobuf(body: Uint8Array): ReceivedSpan[] {
  const spans: ReceivedSpan[] = [];
  const req = new Reader(body);
  req.fields((f, w) => {
    if (f !== 1 || w !== 2) return false;
    const rs = new Reader(req.bytes());
    const resource: Record<string, unknown> = {};
    const scopeSpans: Uint8Array[] = [];
    rs.fields((rf, rw) => {
      if (rf === 1 && rw === 2) {
        const res = new Reader(rs.bytes());
        res.fields((xf, xw) => {
          if (xf === 1 && xw === 2) keyValue(res.bytes(), resource);
          else return false;
          return true;
        });
      } else if (rf === 2 && rw === 2) scopeSpans.push(rs.bytes());
      else return false;
      return true;
    });
    for (const ss of scopeSpans) {
      const s = new Reader(ss);
      s.fields((sf, sw) => {
        if (sf === 2 && sw === 2) spans.push(protobufSpan(s.bytes(), resource));
        else return false;
        return true;
      });
    }
    return true;
  });
  return spans;
}

// ---- JSON ----

interface JsonAnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string | number;
  doubleValue?: number;
  arrayValue?: { values?: JsonAnyValue[] };
}

function jsonValue(v: JsonAnyValue | undefined): unknown {
  if (!v) return undefined;
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.arrayValue) return (v.arrayValue.values ?? []).map(jsonValue);
  return undefined;
}

function jsonAttributes(list: Array<{ key: string; value?: JsonAnyValue }> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const kv of list ?? []) out[kv.key] = jsonValue(kv.value);
  return out;
}

function decodeJson(body: string): ReceivedSpan[] {
  const req = JSON.parse(body) as {
    resourceSpans?: Array<{
      resource?: { attributes?: Array<{ key: string; value?: JsonAnyValue }> };
      scopeSpans?: Array<{ spans?: Array<Record<string, any>> }>;
    }>;
  };
  const spans: ReceivedSpan[] = [];
  for (const rs of req.resourceSpans ?? []) {
    const resource = jsonAttributes(rs.resource?.attributes);
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        spans.push({
          traceId: String(s['traceId'] ?? '').toLowerCase(),
          spanId: String(s['spanId'] ?? '').toLowerCase(),
          parentSpanId: String(s['parentSpanId'] ?? '').toLowerCase(),
          name: String(s['name']),
          kind: Number(s['kind'] ?? 0),
          startNs: BigInt(String(s['startTimeUnixNano'] ?? '0')),
          endNs: BigInt(String(s['endTimeUnixNano'] ?? '0')),
          attributes: jsonAttributes(s['attributes']),
          status: { code: Number(s['status']?.code ?? 0), message: s['status']?.message },
          events: ((s['events'] ?? []) as Array<Record<string, any>>).map((e) => ({
            name: String(e['name']),
            timeNs: BigInt(String(e['timeUnixNano'] ?? '0')),
            attributes: jsonAttributes(e['attributes']),
          })),
          resource,
          encoding: 'json',
        });
      }
    }
  }
  return spans;
}

async function readAll(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** Starts a receiver on 127.0.0.1 (a free port). */
export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const requests: OtlpReceiver['requests'] = [];
  const waiters: Array<() => void> = [];
  const server = createServer((req, res) => {
    void (async () => {
      if (req.method !== 'POST' || req.url !== '/v1/traces') {
        res.writeHead(404).end();
        return;
      }
      let body = await readAll(req);
      if (req.headers['content-encoding'] === 'gzip') body = (await import('node:zlib')).gunzipSync(body);
      requests.push({ ...req.headers });
      const type = req.headers['content-type'] ?? '';
      try {
        spans.push(...(type.includes('json') ? decodeJson(body.toString('utf8')) : decodeProtobuf(body)));
      } catch (e) {
        res.writeHead(400, { 'content-type': 'text/plain' }).end(String(e));
        return;
      }
      res.writeHead(200, { 'content-type': type.includes('json') ? 'application/json' : 'application/x-protobuf' });
      res.end(type.includes('json') ? '{}' : '');
      for (const w of waiters.splice(0)) w();
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    requests,
    waitForSpans: async (n, match = () => true) => {
      for (;;) {
        const found = spans.filter(match);
        if (found.length >= n) return found;
        await new Promise<void>((resolve) => waiters.push(resolve));
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
