// Reading `strace -f -tt` logs: each finished syscall line (or an
// `<unfinished ...>` line joined with its `<... resumed>` line) becomes an
// event with its pid, time relative to the log's first line, call name and
// arguments in the shape the monitors expect (the shape a `syscall` step has).
// The parser works line by line with bounded memory: a line longer than
// MAX_LINE_BYTES is counted as unparsable, not held. Nothing here throws on
// bad input; what cannot be used is counted.
import { closeSync, readSync } from 'node:fs';
import { openRegularFile } from '../model/source-reader';
import type * as A from '../../../grammar/src/ast';

export const MAX_LINE_BYTES = 64 * 1024;

/** Calls the monitors' language knows; the rest are counted as unsupported. */
export const SUPPORTED_CALLS = new Set(['open', 'openat', 'creat', 'execve', 'execveat', 'connect', 'sendto', 'read', 'write', 'unlink', 'unlinkat']);

export interface TraceEvent {
  pid: number;
  /** The process name, when known: `PID<comm>` (strace -Y) or the base name of the pid's (or its parent's) last execve. */
  comm?: string;
  /** Microseconds since the log's first line. */
  atUs: number;
  call: string;
  args: A.Arg[];
  /** The text after `=`, e.g. `3` or `-1 ENOENT (No such file or directory)`. */
  result: string;
  /** 1-based line of the log where the call finished. */
  line: number;
}

export interface TraceCounts {
  lines: number; events: number; unparsable: number; signals: number; exits: number;
  /** Unsupported calls by name. */
  unsupported: Map<string, number>;
  /** Unfinished calls never resumed by the end of the log. */
  unfinished: number;
}

const NOSPAN: A.Span = { start: 0, end: 0 };
// `PID[<comm>] HH:MM:SS.uuuuuu rest`; the pid is absent when strace ran without -f.
const HEAD = /^(?:(\d+)(?:<([^>]*)>)?\s+)?(\d{2}):(\d{2}):(\d{2})\.(\d{1,6})\s+(.*)$/s;
const CALL = /^([a-z_][a-z0-9_]*)\((.*)$/s;
const RESUMED = /^<\.\.\. ([a-z_][a-z0-9_]*) resumed>(.*)$/s;
const UNFINISHED = /\s*<unfinished \.\.\.>$/;

export class StraceParser {
  readonly counts: TraceCounts = { lines: 0, events: 0, unparsable: 0, signals: 0, exits: 0, unsupported: new Map(), unfinished: 0 };
  private firstUs: number | undefined;
  private lastRawUs = 0;
  private dayUs = 0;
  private readonly pending = new Map<number, { call: string; text: string }>();
  private readonly comms = new Map<number, string>();

  constructor(private readonly emit: (e: TraceEvent) => void) {}

  /** One line of the log, without its line break; null stands for a line longer than MAX_LINE_BYTES. */
  push(line: string | null): void {
    const n = ++this.counts.lines;
    if (line === null || line.length > MAX_LINE_BYTES) { this.counts.unparsable++; return; }
    if (line.trim() === '') return;
    const h = HEAD.exec(line);
    if (!h) { this.counts.unparsable++; return; }
    const pid = h[1] ? Number(h[1]) : 0;
    if (h[2]) this.comms.set(pid, h[2]);
    const atUs = this.time(+h[3], +h[4], +h[5], Number(h[6].padEnd(6, '0')));
    const rest = h[7];
    if (rest.startsWith('+++')) { this.counts.exits++; this.pending.delete(pid); return; }
    if (rest.startsWith('---')) { this.counts.signals++; return; }
    let call: string, text: string;
    const r = RESUMED.exec(rest);
    if (r) {
      const p = this.pending.get(pid);
      this.pending.delete(pid);
      if (!p || p.call !== r[1]) { this.counts.unparsable++; return; }
      call = p.call; text = p.text + r[2];
    } else {
      const c = CALL.exec(rest);
      if (!c) { this.counts.unparsable++; return; }
      call = c[1]; text = c[2];
      if (UNFINISHED.test(text)) {
        if (this.pending.size >= 65536) { this.counts.unparsable++; return; } // bounded: a log of only unfinished lines
        this.pending.set(pid, { call, text: text.replace(UNFINISHED, '') });
        return;
      }
    }
    const split = splitResult(text);
    if (!split) { this.counts.unparsable++; return; }
    const raw = splitArgs(split.args);
    if (!raw) { this.counts.unparsable++; return; }
    this.track(pid, call, raw, split.result);
    if (!SUPPORTED_CALLS.has(call)) { this.counts.unsupported.set(call, (this.counts.unsupported.get(call) ?? 0) + 1); return; }
    const args = shape(call, raw);
    this.counts.events++;
    this.emit({ pid, comm: this.comms.get(pid), atUs, call, args, result: split.result, line: n });
  }

  /** The end of the log: calls still unfinished are counted. */
  finish(): void {
    this.counts.unfinished += this.pending.size;
    this.pending.clear();
  }

  private time(hh: number, mm: number, ss: number, us: number): number {
    let t = ((hh * 60 + mm) * 60 + ss) * 1e6 + us + this.dayUs;
    // A log that runs past midnight: the clock wraps, the trace does not go back a day.
    if (this.firstUs !== undefined && t < this.lastRawUs - 12 * 3600e6) { this.dayUs += 86400e6; t += 86400e6; }
    this.lastRawUs = t;
    this.firstUs ??= t;
    return t - this.firstUs;
  }

  /** Process names: execve names the pid; a clone/fork child starts with its parent's name. */
  private track(pid: number, call: string, raw: string[], result: string): void {
    if ((call === 'execve' || call === 'execveat') && /^0\b/.test(result)) {
      const path = strValue(raw[call === 'execve' ? 0 : 1] ?? '');
      if (path !== undefined) this.comms.set(pid, (path.split('/').pop() ?? path).slice(0, 15));
    }
    if (/^(clone3?|fork|vfork)$/.test(call)) {
      const child = Number(result.split(' ')[0]);
      const name = this.comms.get(pid);
      if (child > 0 && name !== undefined && this.comms.size < 65536) this.comms.set(child, name);
    }
  }
}

/** `args) = result` → its parts, or undefined when there is no closing `) =`. */
function splitResult(text: string): { args: string; result: string } | undefined {
  // The `) = ` at nesting depth 0 ends the arguments; strings may contain `) = `, so scan.
  const end = closingParen(text);
  if (end === undefined) return undefined;
  const tail = /^\)\s+=\s+(.*)$/s.exec(text.slice(end));
  return tail ? { args: text.slice(0, end), result: tail[1].trim() } : undefined;
}

function closingParen(text: string): number | undefined {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"') { i = skipString(text, i); if (i < 0) return undefined; continue; }
    if (ch === '(' || ch === '{' || ch === '[') depth++;
    else if (ch === ')' || ch === '}' || ch === ']') { if (depth === 0) return ch === ')' ? i : undefined; depth--; }
  }
  return undefined;
}

/** Index of the closing quote of the string starting at i, or -1. */
function skipString(text: string, i: number): number {
  for (let j = i + 1; j < text.length; j++) {
    if (text[j] === '\\') { j++; continue; }
    if (text[j] === '"') return j;
  }
  return -1;
}

/** Top-level comma-separated arguments, comments removed; undefined when unbalanced. */
export function splitArgs(text: string): string[] | undefined {
  const out: string[] = [];
  let depth = 0, start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"') { i = skipString(text, i); if (i < 0) return undefined; continue; }
    if (ch === '(' || ch === '{' || ch === '[') depth++;
    else if (ch === ')' || ch === '}' || ch === ']') { depth--; if (depth < 0) return undefined; }
    else if (ch === ',' && depth === 0) { out.push(text.slice(start, i)); start = i + 1; }
  }
  if (depth !== 0) return undefined;
  out.push(text.slice(start));
  const args = out.map((a) => a.replace(/\/\*.*?\*\//g, '').trim());
  return args.length === 1 && args[0] === '' ? [] : args;
}

// eslint-disable-next-line no-control-regex
const ASCII_PLAIN = /^[\x00-\x5b\x5d-\x7f]*$/;
const SIMPLE_ESCAPES: Record<string, number> = Object.assign(Object.create(null) as Record<string, number>, { n: 10, t: 9, r: 13, v: 11, f: 12, a: 7, b: 8, e: 27, '"': 34, '\\': 92, "'": 39 });

/** A quoted strace string (maybe followed by `...` when truncated), unescaped; else undefined. */
export function strValue(raw: string): string | undefined {
  const m = /^"((?:[^"\\]|\\.)*)"(\.\.\.)?$/s.exec(raw);
  if (!m) return undefined;
  const s = m[1];
  // Most strings (ASCII paths without escapes) are their own value.
  if (ASCII_PLAIN.test(s)) return s;
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (ch !== '\\') {
      const c = ch.charCodeAt(0);
      if (c < 0x80) bytes.push(c); else bytes.push(...Buffer.from(ch, 'utf8'));
      continue;
    }
    const nx = s[++i];
    if (nx in SIMPLE_ESCAPES) bytes.push(SIMPLE_ESCAPES[nx]);
    else if (nx === 'x') { const h = /^[0-9a-fA-F]{1,2}/.exec(s.slice(i + 1))![0]; bytes.push(parseInt(h, 16)); i += h.length; }
    else if (/[0-7]/.test(nx)) { const o = /^[0-7]{1,3}/.exec(s.slice(i))![0]; bytes.push(parseInt(o, 8) & 255); i += o.length - 1; }
    else bytes.push(...Buffer.from(nx ?? '', 'utf8'));
  }
  return Buffer.from(bytes).toString('utf8');
}

function str(value: string): A.Str { return { value, span: NOSPAN }; }
function num(n: number): A.Quantity { return { text: String(n), number: n, unit: '', kind: 'number', value: n, span: NOSPAN }; }

function argOf(raw: string): A.Arg {
  const s = strValue(raw);
  if (s !== undefined) return str(s);
  if (/^-?(?:0x[0-9a-f]+|\d+)$/i.test(raw)) return num(Number(raw.startsWith('-') ? -Number(raw.slice(1)) : Number(raw)));
  // Flags, constants, structs and arrays stay as their text.
  return str(raw);
}

/** An AF_INET sockaddr → the destination as a `syscall` step writes it: (address, port). */
function sockaddr(raw: string): A.Arg[] | undefined {
  if (!/sa_family=AF_INET\b/.test(raw)) return undefined;
  const port = /sin_port=htons\((\d+)\)/.exec(raw);
  const addr = /sin_addr=inet_addr\("(\d+)\.(\d+)\.(\d+)\.(\d+)"\)/.exec(raw);
  if (!port || !addr) return undefined;
  const o = addr.slice(1, 5).map(Number);
  if (o.some((x) => x > 255)) return undefined;
  const ip = (((o[0] << 24) >>> 0) + (o[1] << 16) + (o[2] << 8) + o[3]) >>> 0;
  return [{ text: o.join('.'), ip, span: NOSPAN }, num(Number(port[1]))];
}

/**
 * Arguments as the language's calls take them: the path is argument 0 of
 * open/openat/creat/execve/unlink (openat's and unlinkat's directory fd is
 * dropped, execveat's too); connect and sendto become (address, port) for an
 * IPv4 destination, else keep their other arguments; read and write keep
 * (fd, buffer, count).
 */
function shape(call: string, raw: string[]): A.Arg[] {
  switch (call) {
    case 'openat': case 'unlinkat': case 'execveat': return raw.slice(1).map(argOf);
    case 'execve': return raw.slice(0, 1).map(argOf);
    case 'connect': case 'sendto': {
      for (const r of raw) { const d = sockaddr(r); if (d) return d; }
      return raw.map(argOf);
    }
    default: return raw.map(argOf);
  }
}

/**
 * Streams a log file line by line, reading 64 KiB at a time; only regular
 * files are opened (a FIFO would block). A line longer than MAX_LINE_BYTES
 * comes as null and is never held whole. Throws Error with a user message when
 * the file cannot be opened.
 */
export function* readStraceLines(path: string): Generator<string | null> {
  const fd = openRegularFile(path);
  try {
    const buf = Buffer.alloc(64 * 1024);
    let carry: Buffer[] = [];
    let carried = 0;
    let overlong = false;
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      let start = 0;
      for (let i = buf.indexOf(10, 0); i !== -1 && i < n; i = buf.indexOf(10, i + 1)) {
        if (overlong) yield null;
        else { carry.push(buf.subarray(start, i)); yield Buffer.concat(carry).toString('utf8').replace(/\r$/, ''); }
        carry = []; carried = 0; overlong = false;
        start = i + 1;
      }
      if (start < n && !overlong) {
        carried += n - start;
        // A line past the limit is not held: only that it was too long is kept.
        if (carried > MAX_LINE_BYTES) { overlong = true; carry = []; }
        else carry.push(Buffer.from(buf.subarray(start, n)));
      }
    }
    if (overlong) yield null;
    else if (carried) yield Buffer.concat(carry).toString('utf8').replace(/\r$/, '');
  } finally { closeSync(fd); }
}
