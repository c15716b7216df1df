// Random edits, seeded so every run makes the same ones: after each edit the
// incremental reparse must equal a full parse of the new text. The texts have
// broken braces, declarations left open and misspelt keywords, where the
// parser reads ahead and across declarations.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from '../../grammar/src/parse';
import { parseSource, type SourceFile } from '../../server/src/model/source-file';
import { reparse } from '../../server/src/model/incremental';

// Long enough that reparse does not simply parse small texts whole.
const PAD = `// ${'x'.repeat(4200)}\n`;

const BROKEN = `${PAD}boot good { pcr 0 "fw" }
host h1 {
boot good
cpus 2
}
atcker a {
vm x on h1
vm y on h1
}
attacker b {
  vm z on h1
host h2 {
  cpus 1
boot b2 { pcr 1 "y" }
hots h3 { boot good }
vm v on h1 { memory 4 GiB }
vm w on h2
share "/s" between v, w require certificate
monitor m for v {
  rule r on open then deny
}
boot b3 { pcr 2 "z" }
scenario "s" {
at 0 ms
fork f
at 5 ms checkpoint c
}
host h4 { cpus 4 }
`;

const VALID = `${PAD}${Array.from({ length: 8 }, (_, k) => `boot g${k} { pcr 0 "fw" }
host h${k} {
  boot g${k}
  cpus 2
}
vm v${k} on h${k} { memory 4 GiB }
attacker a${k} {
  vm x${k} on h${k}
}
`).join('')}scenario "s" {
  at 0 ms fork f
}
`;

const INSERTS = ['}', '{', '\n', ' ', 'atcker', 'attacker', 'hots', 'host', 'scenaro', 'vm', 'boot', 'h1', 'cpus 3', '/*c*/', '"', '//',
  'at 5 ms', 'x', 'on', 'monitr', 'atcker q {\n', '\nhost h9 {\n', '\nvm q on h1\n', 'zz', 'fork', 'checkpoint', 'certificate', 'require'];

/** A linear congruential generator: the same seed gives the same edits everywhere. */
function rng(seed: number): (n: number) => number {
  let s = seed;
  return (n) => { s = (s * 1103515245 + 12345) % 2147483648; return Math.floor(s / 65536) % n; };
}

/** Runs `edits` random edits in chains of `chain` from `base`; returns the edits whose reparse differed. */
function fuzz(base: string, seed: number, edits: number, chain: number): string[] {
  const rnd = rng(seed);
  const bad: string[] = [];
  let cur: SourceFile = parseSource('/f.vmsec', base);
  for (let i = 0; i < edits; i++) {
    if (i % chain === 0) cur = parseSource('/f.vmsec', base);
    const t = cur.text;
    const at = PAD.length + rnd(t.length - PAD.length + 1);
    const kind = rnd(3);
    const text = kind === 0 ? t.slice(0, at) + INSERTS[rnd(INSERTS.length)] + t.slice(at)
      : kind === 1 ? t.slice(0, at) + t.slice(at + 1 + rnd(6))
        : t.slice(0, at) + INSERTS[rnd(INSERTS.length)] + t.slice(at + 1 + rnd(4));
    const inc = reparse(cur, text);
    if (JSON.stringify(inc.doc) !== JSON.stringify(parse(text))) {
      bad.push(`edit ${i}: ${JSON.stringify(t.slice(PAD.length))} → ${JSON.stringify(text.slice(PAD.length))}`);
      cur = parseSource('/f.vmsec', text);
    } else cur = inc;
  }
  return bad;
}

test('seeded random edits of a broken file: every reparse equals a full parse', () => {
  assert.deepEqual(fuzz(BROKEN, 3, 300, 12), []);
});

test('seeded random edits of a valid file, one and several at a time: every reparse equals a full parse', () => {
  assert.deepEqual(fuzz(VALID, 5, 300, 1), []);
  assert.deepEqual(fuzz(VALID, 3, 300, 4), []);
});
