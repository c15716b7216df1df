// Turning literal token text into values: quantities with units, strings,
// addresses. Pure functions, shared by the parser and the tests.
import type { Addr, Quantity, QuantityKind, Span } from './ast';

interface UnitInfo { kind: QuantityKind; factor: number }

const KiB = 1024;
/** Units by spelling, with their kind and factor to the canonical value. */
export const UNITS: Record<string, UnitInfo> = {
  B: { kind: 'size', factor: 1 },
  KiB: { kind: 'size', factor: KiB }, MiB: { kind: 'size', factor: KiB ** 2 },
  GiB: { kind: 'size', factor: KiB ** 3 }, TiB: { kind: 'size', factor: KiB ** 4 },
  KB: { kind: 'size', factor: 1e3 }, MB: { kind: 'size', factor: 1e6 }, GB: { kind: 'size', factor: 1e9 }, TB: { kind: 'size', factor: 1e12 },
  bps: { kind: 'rate', factor: 1 }, Kbps: { kind: 'rate', factor: 1e3 }, Mbps: { kind: 'rate', factor: 1e6 }, Gbps: { kind: 'rate', factor: 1e9 },
  'B/s': { kind: 'rate', factor: 8 }, 'KiB/s': { kind: 'rate', factor: 8 * KiB }, 'MiB/s': { kind: 'rate', factor: 8 * KiB ** 2 },
  'GiB/s': { kind: 'rate', factor: 8 * KiB ** 3 }, 'TiB/s': { kind: 'rate', factor: 8 * KiB ** 4 },
  'KB/s': { kind: 'rate', factor: 8e3 }, 'MB/s': { kind: 'rate', factor: 8e6 }, 'GB/s': { kind: 'rate', factor: 8e9 }, 'TB/s': { kind: 'rate', factor: 8e12 },
  ns: { kind: 'duration', factor: 1e-3 }, us: { kind: 'duration', factor: 1 }, ms: { kind: 'duration', factor: 1e3 },
  s: { kind: 'duration', factor: 1e6 }, min: { kind: 'duration', factor: 60e6 }, h: { kind: 'duration', factor: 3600e6 },
  '%': { kind: 'percent', factor: 1 },
};

const UNIT_NAMES = new Map(Object.keys(UNITS).map((u) => [u, u]));

/** Parses the text of a Quantity token (`4 KiB`, `1_000`, `15%`; a block comment before the unit is skipped). */
export function parseQuantity(text: string, span: Span): Quantity {
  const m = /^([\d_]+(?:\.[\d_]+)?)(?:[ \t]|\/\*(?:[^*]|\*(?!\/))*\*\/)*(.*)$/.exec(text);
  const digits = m ? m[1] : text;
  let unit = m ? m[2] : '';
  const number = Number(digits.includes('_') ? digits.replace(/_/g, '') : digits);
  const info = UNITS[unit];
  // The unit as one shared string (the match's copy dies young; syntax trees keep many quantities).
  if (info) unit = UNIT_NAMES.get(unit) ?? unit;
  const kind: QuantityKind = info ? info.kind : 'number';
  const value = info ? number * info.factor : number;
  return { text, number, unit, kind, value, span };
}

/** Escapes a string may hold; any other `\x` stands for `x` itself (VMS005 warns). */
export const KNOWN_ESCAPES = new Set(['"', '\\', 'n', 't']);

/** The escapes of a string literal (token text, quotes included) that are not known, with their spans. */
export function unknownEscapes(literal: string, start: number): { text: string; span: Span }[] {
  const out: { text: string; span: Span }[] = [];
  for (let i = 1; i < literal.length - 1; i++) {
    if (literal.charCodeAt(i) !== 92) continue;
    const cp = literal.codePointAt(i + 1);
    if (cp === undefined) break;
    const c = String.fromCodePoint(cp);
    if (!KNOWN_ESCAPES.has(c)) out.push({ text: `\\${c}`, span: { start: start + i, end: start + i + 1 + c.length } });
    i += c.length;
  }
  return out;
}

/** The content of a string literal with `\"`, `\\`, `\n` (and `\t`) resolved. */
export function unescapeString(literal: string): string {
  const inner = literal.slice(1, -1);
  if (!inner.includes('\\')) return inner;
  return inner.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c === 't' ? '\t' : c));
}

/** Parses `a.b.c.d` or `a.b.c.d/p`; octets over 255 give NaN (reported by the validator). */
export function parseAddr(text: string, span: Span): Addr {
  const [ipText, prefixText] = text.split('/');
  const octets = ipText.split('.').map(Number);
  const ok = octets.length === 4 && octets.every((o) => o >= 0 && o <= 255);
  const ip = ok ? ((octets[0] << 24) >>> 0) + (octets[1] << 16) + (octets[2] << 8) + octets[3] : NaN;
  return prefixText === undefined ? { text, ip, span } : { text, ip, prefix: Number(prefixText), span };
}

/** Whether an IPv4 address lies in a block (an address alone is a /32). */
export function inBlock(ip: number, block: { ip: number; prefix?: number }): boolean {
  const prefix = block.prefix ?? 32;
  const mask = prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0;
  return ((ip & mask) >>> 0) === ((block.ip & mask) >>> 0);
}

export function formatIp(ip: number): string {
  return [ip >>> 24, (ip >>> 16) & 255, (ip >>> 8) & 255, ip & 255].join('.');
}

/** Human text for a canonical value of a kind (used in hovers and messages). */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = bytes;
  while (v >= 1024 && i < units.length - 1 && v % 1024 === 0) { v /= 1024; i++; }
  return `${v} ${units[i]}`;
}
