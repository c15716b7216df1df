// Reading `strace -f -tt` logs: each finished syscall line (or an
// `<unfinished ...>` line joined with its `<... resumed>` line) becomes an
// event with its pid, time relative to the log's first line, call name and
// arguments in the shape the monitors expect (the shape a `syscall` step has).
// Also read: `-ttt` times (epoch seconds) and the `[pid N] ` prefix strace
// writes without -o. Not read: `-r` (times relative to the previous call) and
// logs without times; `straceLogProblem` names such a log for a clear refusal.
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
// `PID[<comm>] TIME rest` or `[pid PID[<comm>]] TIME rest` (strace -f without -o);
// the pid is absent when strace ran without -f. TIME is `HH:MM:SS.uuuuuu` (-tt)
// or epoch `SSSSSSSSSS.uuuuuu` (-ttt: nine digits or more, so `-r`'s small
// relative times are not mistaken for it).
const HEAD = /^(?:\[pid\s+(\d+)(?:<([^>]*)>)?\]\s+|(\d+)(?:<([^>]*)>)?\s+)?(?:(\d{2}):(\d{2}):(\d{2})|(\d{9,}))\.(\d{1,6})\s+(.*)$/s;
const CALL = /^([a-z_][a-z0-9_]*)\((.*)$/s;
const RESUMED = /^<\.\.\. ([a-z_][a-z0-9_]*) resumed>(.*)$/s;
const UNFINISHED_TAG = '<unfinished ...>';
/** `) = ` after the arguments (sticky: tried where the arguments end). */
const TAIL = /\)\s+=\s+/y;

export class StraceParser {
  readonly counts: TraceCounts = { lines: 0, events: 0, unparsable: 0, signals: 0, exits: 0, unsupported: new Map(), unfinished: 0 };
  private firstUs: number | undefined;
  private lastRawUs = 0;
  private dayUs = 0;
  private readonly pending = new Map<number, { call: string; text: string }>();
  private readonly comms = new Map<number, string>();
  /** The log's clock, fixed by its first timed line: a line with the other one is not read. */
  private clock: 'day' | 'epoch' | undefined;
  /** Whether any line was read (a call, a resumed or unfinished call, a signal or an exit). */
  anyRead = false;

  /** `onUnsupported`: hears each unsupported call with its count so far. */
  constructor(private readonly emit: (e: TraceEvent) => void, private readonly onUnsupported?: (call: string, count: number) => void) {}

  /** One line of the log, without its line break; null stands for a line longer than MAX_LINE_BYTES. */
  push(line: string | null): void {
    const n = ++this.counts.lines;
    if (line === null || line.length > MAX_LINE_BYTES) { this.counts.unparsable++; return; }
    if (line.trim() === '') return;
    const h = HEAD.exec(line);
    if (!h) { this.counts.unparsable++; return; }
    const clock = h[8] === undefined ? 'day' : 'epoch';
    if ((this.clock ??= clock) !== clock) { this.counts.unparsable++; return; }
    const pidText = h[1] ?? h[3];
    const pid = pidText ? Number(pidText) : 0;
    const comm = h[2] ?? h[4];
    if (comm) this.comms.set(pid, comm);
    const frac = Number(h[9].padEnd(6, '0'));
    const atUs = clock === 'day' ? this.time(+h[5], +h[6], +h[7], frac) : this.relative(Number(h[8]) * 1e6 + frac);
    const rest = h[10];
    // The pid may be reused by a later process, which must not inherit this one's name.
    if (rest.startsWith('+++')) { this.counts.exits++; this.pending.delete(pid); this.comms.delete(pid); this.anyRead = true; return; }
    if (rest.startsWith('---')) { this.counts.signals++; this.anyRead = true; return; }
    let call: string, text: string;
    // `<... call resumed>` starts with `<`; most lines are calls.
    const r = rest.charCodeAt(0) === 60 ? RESUMED.exec(rest) : null;
    if (r) {
      const p = this.pending.get(pid);
      this.pending.delete(pid);
      if (!p || p.call !== r[1]) { this.counts.unparsable++; return; }
      call = p.call; text = p.text + r[2];
    } else {
      const c = CALL.exec(rest);
      if (!c) { this.counts.unparsable++; return; }
      call = c[1]; text = c[2];
      if (text.endsWith(UNFINISHED_TAG)) {
        if (this.pending.size >= 65536) { this.counts.unparsable++; return; } // bounded: a log of only unfinished lines
        // Not a regex: `\s*` before the tag retried at every space was quadratic on a long run of spaces.
        this.pending.set(pid, { call, text: text.slice(0, -UNFINISHED_TAG.length).trimEnd() });
        this.anyRead = true;
        return;
      }
    }
    const split = splitCall(text);
    if (!split) { this.counts.unparsable++; return; }
    this.anyRead = true;
    const raw = split.args;
    // `<... read resumed> <unfinished ...>) = ?`: the process died inside the call
    // (killed, or another thread's exit_group). The call was made, so it is an event
    // (a monitor sees a call when it is made) with the arguments strace printed.
    const last = raw.length - 1;
    if (last >= 0 && raw[last].endsWith(UNFINISHED_TAG)) {
      const kept = raw[last].slice(0, -UNFINISHED_TAG.length).trimEnd();
      if (kept === '') raw.pop(); else raw[last] = kept;
    }
    this.track(pid, call, raw, split.result);
    if (!SUPPORTED_CALLS.has(call)) {
      const count = (this.counts.unsupported.get(call) ?? 0) + 1;
      this.counts.unsupported.set(call, count);
      this.onUnsupported?.(call, count);
      return;
    }
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
    return this.relative(t);
  }

  /** An absolute time (µs) → µs since the log's first timed line. */
  private relative(t: number): number {
    this.firstUs ??= t;
    return t - this.firstUs;
  }

  /**
   * Process names: execve names the pid; a clone/fork child starts with its
   * parent's name, unless it already has its own: under -f the child's execve
   * may be logged before the parent's `<... clone resumed> = PID`.
   */
  private track(pid: number, call: string, raw: string[], result: string): void {
    if ((call === 'execve' || call === 'execveat') && /^0\b/.test(result)) {
      const path = strValue(raw[call === 'execve' ? 0 : 1] ?? '');
      if (path !== undefined) this.comms.set(pid, (path.split('/').pop() ?? path).slice(0, 15));
    }
    if (call === 'clone' || call === 'clone3' || call === 'fork' || call === 'vfork') {
      const child = Number(result.split(' ')[0]);
      const name = this.comms.get(pid);
      if (child > 0 && name !== undefined && !this.comms.has(child) && this.comms.size < 65536) this.comms.set(child, name);
    }
  }
}

/**
 * `args) = result` → the top-level arguments (comments removed) and the
 * result, in one pass; undefined when there is no closing `) =` or the
 * brackets or strings do not balance. Strings may contain `) = `, commas and
 * brackets, so they are skipped whole.
 */
function splitCall(text: string): { args: string[]; result: string } | undefined {
  const cuts: number[] = [];
  let depth = 0;
  let end = -1;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 34) { i = skipString(text, i); if (i < 0) return undefined; continue; }
    if (ch === 40 || ch === 123 || ch === 91) depth++;
    else if (ch === 41 || ch === 125 || ch === 93) {
      if (depth === 0) { if (ch !== 41) return undefined; end = i; break; }
      depth--;
    } else if (ch === 44 && depth === 0) cuts.push(i);
  }
  if (end < 0) return undefined;
  TAIL.lastIndex = end;
  if (!TAIL.test(text)) return undefined;
  const result = text.slice(TAIL.lastIndex).trim();
  return { args: argList(text, cuts, end), result };
}

/** Index of the closing quote of the string starting at i, or -1. */
function skipString(text: string, i: number): number {
  for (let j = i + 1; j < text.length; j++) {
    const ch = text.charCodeAt(j);
    if (ch === 92) { j++; continue; }
    if (ch === 34) return j;
  }
  return -1;
}

/**
 * `a` without its `/* … *\/` comments, each from an opening to the next
 * closing; an opening never closed is kept. A scan, not the lazy regex
 * `\/\*.*?\*\/`, which searched to the end of the line for each of
 * thousands of unclosed openings.
 */
function withoutComments(a: string): string {
  let out = '';
  let from = 0;
  for (;;) {
    const open = a.indexOf('/*', from);
    if (open < 0) break;
    const close = a.indexOf('*/', open + 2);
    if (close < 0) break;
    out += a.slice(from, open);
    from = close + 2;
  }
  return out + a.slice(from);
}

/** The arguments between the commas at `cuts`, up to `end`, comments removed and trimmed. */
function argList(text: string, cuts: number[], end: number): string[] {
  const args: string[] = [];
  let start = 0;
  for (let k = 0; k <= cuts.length; k++) {
    const stop = k < cuts.length ? cuts[k] : end;
    let a = text.slice(start, stop);
    if (a.includes('/*')) a = withoutComments(a);
    args.push(a.trim());
    start = stop + 1;
  }
  return args.length === 1 && args[0] === '' ? [] : args;
}

/** Top-level comma-separated arguments, comments removed; undefined when unbalanced. */
export function splitArgs(text: string): string[] | undefined {
  const cuts: number[] = [];
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 34) { i = skipString(text, i); if (i < 0) return undefined; continue; }
    if (ch === 40 || ch === 123 || ch === 91) depth++;
    else if (ch === 41 || ch === 125 || ch === 93) { depth--; if (depth < 0) return undefined; }
    else if (ch === 44 && depth === 0) cuts.push(i);
  }
  if (depth !== 0) return undefined;
  return argList(text, cuts, text.length);
}

const SIMPLE_ESCAPES: Record<string, number> = Object.assign(Object.create(null) as Record<string, number>, { n: 10, t: 9, r: 13, v: 11, f: 12, a: 7, b: 8, e: 27, '"': 34, '\\': 92, "'": 39 });
const QUOTED = /^"((?:[^"\\]|\\.)*)"(\.\.\.)?$/s;

/** A quoted strace string (maybe followed by `...` when truncated), unescaped; else undefined. */
export function strValue(raw: string): string | undefined {
  if (raw.charCodeAt(0) !== 34) return undefined;
  // Most strings (paths) have no escapes: the text between the quotes is the value.
  if (raw.indexOf('\\') < 0) {
    const q = raw.indexOf('"', 1);
    if (q < 0) return undefined;
    return q === raw.length - 1 || (q === raw.length - 4 && raw.endsWith('...')) ? raw.slice(1, q) : undefined;
  }
  const m = QUOTED.exec(raw);
  return m ? unescape(m[1]) : undefined;
}

/** strace's C escapes → the bytes they stand for, read as UTF-8. */
function unescape(s: string): string {
  // Each UTF-16 unit is at most 3 bytes of UTF-8; an escape is never longer than its text.
  const out = Buffer.allocUnsafe(s.length * 3);
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c !== 92) {
      if (c < 0x80) out[n++] = c;
      else {
        // A surrogate pair is one character (written whole, not as two replacement characters).
        const pair = c >= 0xd800 && c <= 0xdbff && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00;
        n += out.write(pair ? s.slice(i, ++i + 1) : s[i], n, 'utf8');
      }
      continue;
    }
    const nx = s[++i] ?? '';
    const d = s.charCodeAt(i);
    if (nx in SIMPLE_ESCAPES) out[n++] = SIMPLE_ESCAPES[nx];
    else if (nx === 'x' && hexDigit(s.charCodeAt(i + 1)) >= 0) {
      let v = hexDigit(s.charCodeAt(++i));
      const lo = hexDigit(s.charCodeAt(i + 1));
      if (lo >= 0) { v = v * 16 + lo; i++; }
      out[n++] = v;
    } else if (d >= 48 && d <= 55) {
      let v = d - 48;
      for (let k = 0; k < 2 && s.charCodeAt(i + 1) >= 48 && s.charCodeAt(i + 1) <= 55; k++) v = v * 8 + s.charCodeAt(++i) - 48;
      out[n++] = v & 255;
    } else n += out.write(nx, n, 'utf8');
  }
  return out.toString('utf8', 0, n);
}

function hexDigit(c: number): number {
  return c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
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

/** An IPv4 address's octets → the language's address argument; undefined past 255. */
function ipv4(octets: string[]): A.Arg | undefined {
  const o = octets.map(Number);
  if (o.some((x) => x > 255)) return undefined;
  const ip = (((o[0] << 24) >>> 0) + (o[1] << 16) + (o[2] << 8) + o[3]) >>> 0;
  return { text: o.join('.'), ip, span: NOSPAN };
}

/**
 * A connect/sendto sockaddr → the destination as a `syscall` step writes it:
 * (address, port) for AF_INET, and for AF_INET6 (the address as text, or as an
 * IPv4 address when it is `::ffff:a.b.c.d`, and the port); (path) for AF_UNIX
 * (`@name` for an abstract socket); nothing for other families or none
 * (`NULL`: sendto on a connected socket). Only an IP destination has a number
 * or an address argument, so only it can match `port` and `ip`.
 */
function destination(raw: string | undefined): A.Arg[] {
  const family = raw === undefined ? undefined : /^\{sa_family=(AF_[A-Z0-9_]+)/.exec(raw)?.[1];
  if (raw === undefined || family === undefined) return [];
  if (family === 'AF_INET') {
    const port = /sin_port=htons\((\d+)\)/.exec(raw);
    const addr = /sin_addr=inet_addr\("(\d+)\.(\d+)\.(\d+)\.(\d+)"\)/.exec(raw);
    const ip = addr ? ipv4(addr.slice(1, 5)) : undefined;
    return port && ip ? [ip, num(Number(port[1]))] : [];
  }
  if (family === 'AF_INET6') {
    const port = /sin6_port=htons\((\d+)\)/.exec(raw);
    if (!port) return [];
    const text = /inet_pton\(AF_INET6, "([^"]*)"/.exec(raw)?.[1] ?? '';
    const mapped = /^::ffff:(\d+)\.(\d+)\.(\d+)\.(\d+)$/i.exec(text);
    return [(mapped && ipv4(mapped.slice(1, 5))) || str(text), num(Number(port[1]))];
  }
  if (family === 'AF_UNIX') {
    const path = /sun_path=(@?)("(?:[^"\\]|\\.)*")/.exec(raw);
    const value = path ? strValue(path[2]) : undefined;
    return value === undefined ? [] : [str(path![1] + value)];
  }
  return [];
}

/**
 * Arguments as the language's calls take them: the path is argument 0 of
 * open/openat/creat/execve/unlink (openat's and unlinkat's directory fd is
 * dropped, execveat's too); connect and sendto become their destination (see
 * `destination`: never the socket's fd, which is not a port); read and write
 * keep (fd, buffer, count).
 */
function shape(call: string, raw: string[]): A.Arg[] {
  switch (call) {
    case 'openat': case 'unlinkat': case 'execveat': return raw.slice(1).map(argOf);
    case 'execve': return raw.slice(0, 1).map(argOf);
    case 'connect': return destination(raw[1]);
    case 'sendto': return destination(raw[4]);
    default: return raw.map(argOf);
  }
}

const RECORD_HINT = 'record the log with `strace -f -tt -o LOG COMMAND`';
const PREFIX = String.raw`(?:\[pid\s+\d+(?:<[^>]*>)?\]\s+|\d+(?:<[^>]*>)?\s+)?`;
const RELATIVE_TIMES = new RegExp(String.raw`^${PREFIX}\d{1,8}\.\d{1,6}\s`);
const NO_TIMES = new RegExp(String.raw`^${PREFIX}(?:[a-z_][a-z0-9_]*\(|<\.\.\. |\+\+\+ |--- )`);

/**
 * Why a log of which no line could be read is refused, naming its first
 * non-blank line (`first`, 1-based `line`) and how to record a log vmsec reads.
 */
export function unreadableLogMessage(lines: number, first: { line: number; text: string | null } | undefined): string {
  if (!first) return `the log is empty; ${RECORD_HINT}`;
  const t = first.text;
  const why = t === null ? `line ${first.line} is longer than ${MAX_LINE_BYTES / 1024} KiB`
    : RELATIVE_TIMES.test(t) ? `line ${first.line} has times relative to the previous call, as \`strace -r\` writes them`
    : NO_TIMES.test(t) ? `line ${first.line} has no time: strace ran without -tt`
    : `line ${first.line} is not a strace line`;
  return `none of its ${lines} ${lines === 1 ? 'line' : 'lines'} can be read (${why}); ${RECORD_HINT}`;
}

/** Tracks the first non-blank line of a log, for `unreadableLogMessage`. */
export function firstNonBlank(seen: { line: number; text: string | null } | undefined, line: string | null, n: number): { line: number; text: string | null } | undefined {
  if (seen || (line !== null && line.trim() === '')) return seen;
  return { line: n, text: line === null ? null : line.slice(0, 200) };
}

/**
 * Undefined when some line of the log at `path` can be read (it stops at the
 * first such line, so a good log costs one line); else why the log is
 * refused. Throws Error with a user message when the file cannot be opened.
 */
export function straceLogProblem(path: string): string | undefined {
  const parser = new StraceParser(() => {});
  let first: { line: number; text: string | null } | undefined;
  for (const l of readStraceLines(path)) {
    parser.push(l);
    if (parser.anyRead) return undefined;
    first = firstNonBlank(first, l, parser.counts.lines);
  }
  return unreadableLogMessage(parser.counts.lines, first);
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
        else if (carry.length === 0) yield buf.toString('utf8', start, i > start && buf[i - 1] === 13 ? i - 1 : i);
        else { carry.push(buf.subarray(start, i)); yield Buffer.concat(carry).toString('utf8').replace(/\r$/, ''); }
        if (carry.length) carry = [];
        carried = 0; overlong = false;
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
