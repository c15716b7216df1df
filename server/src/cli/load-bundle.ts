// Loads one command's bundle (dist/cli-NAME.js) as CommonJS, with the V8
// code cache esbuild.mjs wrote beside it (dist/cli-NAME.js.cache), so a cold
// `vmsec check` does not compile the same JavaScript again on every start.
//
// The cache is used only when its header holds the CRC-32 of the bundle it
// was made for and of its own data: V8 itself does not notice a changed
// bundle, and aborts the process on damaged data. A missing, stale, damaged
// or rejected (other Node or V8) cache falls back to a plain compile.
// With source maps on (--enable-source-maps), Node's own require loads the
// bundle so stack traces map to the TypeScript sources.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname } from 'node:path';
import { Script } from 'node:vm';

/** First line of a cache file: this magic, then the CRC-32 (hex) of the bundle and of the data, by spaces. */
export const CACHE_MAGIC = 'vmsec-code-cache/2';

export type CacheUse = 'used' | 'rejected' | 'stale' | 'damaged' | 'missing' | 'source-maps';

/** The V8 data of a cache file made for this bundle whose checksum holds, or why there is none. */
export function cacheDataFor(cache: Buffer | undefined, bundle: Buffer): { data: Buffer } | { why: 'missing' | 'stale' | 'damaged' } {
  if (!cache) return { why: 'missing' };
  const eol = cache.indexOf(10);
  const header = cache.toString('latin1', 0, eol < 0 || eol > 100 ? 0 : eol).split(' ');
  if (header.length !== 3 || header[0] !== CACHE_MAGIC) return { why: 'stale' };
  const bundleCrc = crc32Of(bundle);
  if (bundleCrc === undefined || bundleCrc.toString(16) !== header[1]) return { why: 'stale' };
  const data = cache.subarray(eol + 1);
  if (crc32Of(data)?.toString(16) !== header[2]) return { why: 'damaged' };
  return { data };
}

type Crc32 = (data: Uint8Array, value: number) => number;
let crc32: Crc32 | null | undefined;

/** zlib.crc32 (Node 20.15 and later); without it no cache is trusted. */
export function crc32Of(data: Buffer): number | undefined {
  crc32 ??= zlibCrc32();
  return crc32 ? crc32(data, 0) : undefined;
}

/**
 * Loading node:zlib costs a cold start several ms (it loads Node's streams);
 * its crc32 is the native function of the zlib binding, which is taken
 * straight from there when Node offers it (process.binding('zlib') warns
 * only under --pending-deprecation; then, and without it, node:zlib is used).
 */
function zlibCrc32(): Crc32 | null {
  const pending = process.execArgv.includes('--pending-deprecation') || /--pending-deprecation/.test(process.env.NODE_OPTIONS ?? '')
    || process.env.NODE_PENDING_DEPRECATION === '1';
  if (!pending) {
    try {
      const native = (process as unknown as { binding(name: string): { crc32?: unknown } }).binding('zlib').crc32;
      // A check against the known CRC-32 of "123456789" guards against a binding of another shape.
      if (typeof native === 'function' && (native as Crc32)(Buffer.from('123456789'), 0) === 0xcbf43926) return native as Crc32;
    } catch { /* not offered: node:zlib below */ }
  }
  // Required here, not imported: only a start with a cache file pays for zlib.
  const zlib = createRequire(`${process.cwd()}/`)('node:zlib') as { crc32?: Crc32 };
  return typeof zlib.crc32 === 'function' ? zlib.crc32 : null;
}

function readOptional(file: string): Buffer | undefined {
  try { return readFileSync(file); } catch { return undefined; }
}

/** Wraps a CommonJS body exactly as Node does, so line numbers stay those of the file. */
export function wrapCommonJs(source: string): string {
  return `(function (exports, require, module, __filename, __dirname) { ${source}\n});`;
}

export function loadBundle(file: string): unknown {
  const sourceMaps = (process as { sourceMapsEnabled?: boolean }).sourceMapsEnabled === true;
  if (sourceMaps) {
    report(file, 'source-maps');
    return createRequire(file)(file);
  }
  const bytes = readFileSync(file);
  const source = bytes.toString('utf8');
  const cache = cacheDataFor(readOptional(`${file}.cache`), bytes);
  const cachedData = 'data' in cache ? cache.data : undefined;
  // A cache of another Node or V8 is rejected by V8 (cachedDataRejected) and the script compiles normally.
  const script = new Script(wrapCommonJs(source), { filename: file, cachedData });
  report(file, 'why' in cache ? cache.why : script.cachedDataRejected ? 'rejected' : 'used');
  const module = { exports: {} as unknown, filename: file, id: file, loaded: false };
  const fn = script.runInThisContext() as (...a: unknown[]) => void;
  fn.call(module.exports, module.exports, createRequire(file), module, file, dirname(file));
  module.loaded = true;
  return module.exports;
}

/** VMSEC_DEBUG_CACHE=1: one line on stderr saying whether the code cache was used. */
function report(file: string, use: CacheUse): void {
  if (process.env.VMSEC_DEBUG_CACHE === '1') process.stderr.write(`vmsec: code cache ${basename(file)}: ${use}\n`);
}
