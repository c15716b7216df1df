// Damage to a real checkpoint file, as plain data: bit flips, truncation,
// inserted and zeroed bytes, and edits of the JSON manifest (values of the
// wrong type or range, deleted keys, raw text, a wrong length field). With
// `reseal`, the digests are recomputed after a manifest edit so the file is
// self-consistent and the reader's schema check, not its digest check, has
// to catch the damage (and what it prints must still be escaped).
//
// Layout assumed for manifest edits (vmsec-checkpoint/2, big-endian):
// magic+version (8) | u32 M | manifest (M) | SHA-256 of [0, 12+M) | records |
// "VMSECEND" | chunk digests | content digest. If the file does not parse
// that way, manifest edits fall back to flipping bytes in the header.
import fc from 'fast-check';
import { createHash } from 'node:crypto';

export const JSON_HOSTILE: unknown[] = [
  -1, 0, 1.5, 1e308, 2 ** 53 + 2, 2 ** 64, 4294967296, 'x', '', null, true, [], {}, [[[[[]]]]],
  '\u001b[2J\u001b[31mred\u0007', '\u0000\r\n', 'x'.repeat(100_000), { __proto__: null, constructor: 1 },
  '../../x', 'vmsec-checkpoint/1', 'vmsec-checkpoint/2', { space: 'mem', first: 0, count: 2 ** 40, kind: 'data' },
];

export type CkOp =
  | { op: 'flip'; at: number; bit: number; head: boolean }
  | { op: 'set'; at: number; byte: number; head: boolean }
  | { op: 'truncate'; at: number }
  | { op: 'insert'; at: number; bytes: number[] }
  | { op: 'zero'; at: number; len: number }
  | { op: 'mset'; leaf: number; value: number }
  | { op: 'mdelete'; leaf: number }
  | { op: 'mraw'; at: number; text: string }
  | { op: 'mlen'; value: number };

const pos = fc.nat({ max: 2 ** 31 - 1 });
export const ckOpArb: fc.Arbitrary<CkOp> = fc.oneof(
  { arbitrary: fc.record({ op: fc.constant('flip' as const), at: pos, bit: fc.nat({ max: 7 }), head: fc.boolean() }), weight: 6 },
  { arbitrary: fc.record({ op: fc.constant('set' as const), at: pos, byte: fc.nat({ max: 255 }), head: fc.boolean() }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant('truncate' as const), at: pos }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant('insert' as const), at: pos, bytes: fc.array(fc.nat({ max: 255 }), { minLength: 1, maxLength: 8 }) }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('zero' as const), at: pos, len: fc.integer({ min: 1, max: 8192 }) }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('mset' as const), leaf: fc.nat({ max: 10_000 }), value: fc.nat({ max: JSON_HOSTILE.length - 1 }) }), weight: 5 },
  { arbitrary: fc.record({ op: fc.constant('mdelete' as const), leaf: fc.nat({ max: 10_000 }) }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant('mraw' as const), at: pos, text: fc.constantFrom('"', '}', ',', '\u0000', '{"a":', ' '.repeat(100), '\u001b[2J') }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('mlen' as const), value: fc.constantFrom(0, 1, 2, 0xffffffff, 16 * 1024 * 1024 + 1, -1) }), weight: 1 },
);

interface Parts { m: number; manifest: string }

function parts(buf: Buffer): Parts | undefined {
  if (buf.length < 12) return undefined;
  const m = buf.readUInt32BE(8);
  if (12 + m + 32 > buf.length) return undefined;
  const manifest = buf.subarray(12, 12 + m).toString('utf8');
  try { JSON.parse(manifest); } catch { return undefined; }
  return { m, manifest };
}

const sha = (...b: Buffer[]) => createHash('sha256').update(Buffer.concat(b)).digest();

/** Rebuilds the file with a new manifest text; `reseal` recomputes the header and content digests. */
function withManifest(buf: Buffer, p: Parts, text: string, reseal: boolean, length?: number): Buffer {
  const manifest = Buffer.from(text, 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32BE(length === undefined ? manifest.length : length >>> 0);
  const head = Buffer.concat([buf.subarray(0, 8), len, manifest]);
  const rest = buf.subarray(12 + p.m + 32);
  if (!reseal) return Buffer.concat([head, buf.subarray(12 + p.m, 12 + p.m + 32), rest]);
  const headDigest = sha(head);
  const end = rest.lastIndexOf(Buffer.from('VMSECEND', 'latin1'));
  if (end < 0 || rest.length - end < 8 + 32) return Buffer.concat([head, headDigest, rest]);
  const chunks = rest.subarray(end + 8, rest.length - 32);
  const content = sha(headDigest, Buffer.from('VMSECEND', 'latin1'), chunks);
  return Buffer.concat([head, headDigest, rest.subarray(0, rest.length - 32), content]);
}

/** Paths of every value in a JSON document, containers included, in a fixed order. */
function leaves(v: unknown, path: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  if (path.length) out.push(path);
  if (Array.isArray(v)) v.forEach((x, i) => leaves(x, [...path, i], out));
  else if (v && typeof v === 'object') for (const k of Object.keys(v)) leaves((v as Record<string, unknown>)[k], [...path, k], out);
  return out;
}

function editJson(doc: unknown, path: (string | number)[], edit: (parent: Record<string | number, unknown>, key: string | number) => void): unknown {
  const copy = JSON.parse(JSON.stringify(doc));
  let at = copy;
  for (const k of path.slice(0, -1)) at = at[k];
  edit(at, path[path.length - 1]);
  return copy;
}

export interface Damaged { bytes: Buffer; resealed: boolean }

export function damage(original: Buffer, ops: CkOp[], reseal: boolean): Damaged {
  let buf: Buffer = Buffer.from(original);
  let resealed = false;
  for (const op of ops) {
    const n = buf.length;
    const headLimit = Math.min(n, 4096);
    switch (op.op) {
      case 'flip': { if (!n) break; const i = op.at % (op.head ? headLimit : n); buf[i] ^= 1 << op.bit; break; }
      case 'set': { if (!n) break; const i = op.at % (op.head ? headLimit : n); buf[i] = op.byte; break; }
      case 'truncate': buf = buf.subarray(0, op.at % (n + 1)); break;
      case 'insert': { const i = op.at % (n + 1); buf = Buffer.concat([buf.subarray(0, i), Buffer.from(op.bytes), buf.subarray(i)]); break; }
      case 'zero': { if (!n) break; const i = op.at % n; buf.fill(0, i, Math.min(n, i + op.len)); break; }
      default: {
        const p = parts(buf);
        if (!p) { if (n > 12) buf[12 + ((op.op === 'mraw' ? op.at : 0) % (n - 12))] ^= 0x20; break; }
        const doc = JSON.parse(p.manifest);
        const all = leaves(doc);
        let text = p.manifest;
        let length: number | undefined;
        if (op.op === 'mset' && all.length) text = JSON.stringify(editJson(doc, all[op.leaf % all.length], (o, k) => { o[k] = JSON_HOSTILE[op.value]; }));
        else if (op.op === 'mdelete' && all.length) text = JSON.stringify(editJson(doc, all[op.leaf % all.length], (o, k) => { if (Array.isArray(o)) o.splice(k as number, 1); else delete o[k]; }));
        else if (op.op === 'mraw') { const i = op.at % (text.length + 1); text = text.slice(0, i) + op.text + text.slice(i); }
        else if (op.op === 'mlen') length = op.value === -1 ? p.m - 1 : op.value;
        buf = withManifest(buf, p, text, reseal, length);
        resealed ||= reseal;
      }
    }
  }
  return { bytes: buf, resealed };
}
