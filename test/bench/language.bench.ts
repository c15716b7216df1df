// `npm run bench` (language core): parse, resolve and validate throughput on
// generated files of 1k, 10k and 100k lines, against a Chevrotain JSON parser
// on a JSON document of the same byte size, in the same run.
import { generate, generateJson } from './generate';
import { parseJson } from './json-parser';
import { time } from './timing';
import { parseSource } from '../../server/src/model/source-file';
import { resolveFileSet } from '../../server/src/model/resolve';
import { validateFileSet } from '../../server/src/validation/validate';
import type { FileSet } from '../../server/src/model/workspace';

interface Row { lines: number; bytes: number; parse: number; resolve: number; validate: number; full: number; json: number; errors: number }

function measure(lines: number): Row {
  const text = generate(lines);
  const json = generateJson(text.length);
  const runs = lines >= 100_000 ? 5 : lines >= 10_000 ? 15 : 40;
  const file = parseSource('/bench/gen.vmsec', text);
  const set: FileSet = { root: file, files: [file], diagnostics: [] };
  const resolved = resolveFileSet(set);
  const diags = validateFileSet(set, { workspaceRoot: '/bench' }, resolved);
  const parse = time(() => parseSource('/bench/gen.vmsec', text), runs);
  const resolve = time(() => resolveFileSet(set), runs);
  const validate = time(() => validateFileSet(set, { workspaceRoot: '/bench' }, resolved), runs);
  const full = time(() => {
    const f = parseSource('/bench/gen.vmsec', text);
    validateFileSet({ root: f, files: [f], diagnostics: [] }, { workspaceRoot: '/bench' });
  }, runs);
  const jsonMs = time(() => parseJson(json), runs);
  return { lines: text.split('\n').length - 1, bytes: text.length, parse, resolve, validate, full, json: jsonMs, errors: diags.filter((d) => d.severity === 'error').length };
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
measure(10_000); // warm the JIT so the first row is not measured cold
const rows = [1_000, 10_000, 100_000].map(measure);
console.log('language core benchmark (median of warm runs)');
console.log('| lines | bytes | parse lines/s | resolve lines/s | validate lines/s | full check ms | JSON baseline ms | parse/JSON throughput |');
console.log('|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const r of rows) {
  const ratio = r.json / r.parse;
  console.log(`| ${fmt(r.lines)} | ${fmt(r.bytes)} | ${fmt(r.lines / (r.parse / 1000))} | ${fmt(r.lines / (r.resolve / 1000))} | ${fmt(r.lines / (r.validate / 1000))} | ${r.full.toFixed(1)} | ${r.json.toFixed(1)} | ${ratio.toFixed(2)} |`);
  if (r.errors) console.log(`  (!) the generated ${r.lines}-line file has ${r.errors} errors`);
}
const [, r10k, r100k] = rows;
console.log(`growth 10k→100k lines: ${(r100k.full / r10k.full).toFixed(1)}× the time for ${(r100k.lines / r10k.lines).toFixed(1)}× the lines (linear ≈ 10)`);
console.log(`targets: 10k full check ≤ 60 ms → ${r10k.full.toFixed(1)} ms; 100k ≤ 600 ms → ${r100k.full.toFixed(1)} ms; parse/JSON ≥ 0.5 → ${(r10k.json / r10k.parse).toFixed(2)}`);
