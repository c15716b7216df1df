// Incremental reparsing must give exactly what a full parse gives, for any edit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { parseSource } from '../../server/src/model/source-file';
import { reparse } from '../../server/src/model/incremental';
import { generate } from '../bench/generate';

const samples = join(import.meta.dirname, '..', '..', 'samples');
const texts = (readdirSync(samples, { recursive: true }) as string[]).filter((f) => f.endsWith('.vmsec')).map((f) => readFileSync(join(samples, f), 'utf8'));
texts.push(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'every-construct.vmsec'), 'utf8'), generate(300));

const SNIPPETS = ['', ' ', '\n', 'x', '}', '{', '"', '//', '/*', '*/', 'host z { }', 'host z {', 'cpus 4 ', 'memory', ' 4 GiB', 'vm q on alpha { }\n', 'fork', ',', '(', ')', 'sha256:', '10.0.0.1/24', 'scenario "s" { at 0 ms fork burst }'];

test('property: reparsing after any edit equals parsing the new text', () => {
  fc.assert(fc.property(
    fc.integer({ min: 0, max: texts.length - 1 }), fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 0, max: 40 }),
    fc.constantFrom(...SNIPPETS), fc.integer({ min: 1, max: 3 }),
    (t, where, removeLen, insert, times) => {
      let old = parseSource('/x.vmsec', texts[t]);
      for (let k = 0; k < times; k++) {
        const at = Math.floor(where * old.text.length);
        const text = old.text.slice(0, at) + insert + old.text.slice(Math.min(old.text.length, at + removeLen));
        const full = parseSource('/x.vmsec', text);
        const inc = reparse(old, text);
        assert.deepEqual(JSON.parse(JSON.stringify(inc.doc)), JSON.parse(JSON.stringify(full.doc)), `edit at ${at}: -${removeLen} +${JSON.stringify(insert)}`);
        old = inc;
      }
    },
  ), { numRuns: Number(process.env.VMSEC_PROPERTY_RUNS ?? 400) });
});

test('an edit at the end of a large file reparses only its last declaration', () => {
  const text = generate(3000);
  const old = parseSource('/x.vmsec', text);
  const inc = reparse(old, `${text}// note\n`);
  assert.equal(inc.doc.decls[0], old.doc.decls[0], 'untouched declarations are kept as they are');
  assert.equal(inc.doc.decls.length, old.doc.decls.length);
});

// One test per way the reparse once differed from a full parse (found by
// test/unit/incremental-fuzz.test.ts). Texts are padded past reparse's
// "parse small texts whole" size.
const PAD = `// ${'x'.repeat(4200)}\n`;
function editBoth(before: string, after: string) {
  const inc = reparse(parseSource('/x.vmsec', PAD + before), PAD + after);
  const full = parseSource('/x.vmsec', PAD + after);
  const messages = (doc: typeof full.doc) => doc.problems.map((p) => `${p.span.start - PAD.length}: ${p.message}`);
  assert.deepEqual(messages(inc.doc), messages(full.doc));
  assert.deepEqual(JSON.parse(JSON.stringify(inc.doc)), JSON.parse(JSON.stringify(full.doc)));
  return messages(inc.doc);
}

test('a misspelt declaration edited past guessing loses its did-you-mean', () => {
  const got = editBoth('host h1 { }\natcker a {\n  vm x on h1\n}\nhost h3 { }\n', 'host h1 { }\natckerzzzzzz a {\n  vm x on h1\n}\nhost h3 { }\n');
  assert.ok(!got.some((m) => m.includes("did you mean 'attacker'")), got.join('\n'));
  assert.ok(got.includes("12: unknown declaration 'atckerzzzzzz'; a declaration starts with one of: import, boot, host, link, network, vm, fork, monitor, checkpoint, authority, certificate, share, attacker, scenario"), got.join('\n'));
});

test('a declaration keyword edited after a block left open is read by that block', () => {
  const got = editBoth('host h2 {\n  cpus 1\nboot b2 { pcr 1 "y" }\nhost h3 { }\n', 'host h2 {\n  cpus 1\nbzzt b2 { pcr 1 "y" }\nhost h3 { }\n');
  assert.equal(got[0], "19: unknown host property 'bzzt'; expected one of: cpus, memory, hypervisor, tpm, boot, tenant");
});

test('a declaration keyword edited inside skipped top-level garbage is skipped with it', () => {
  const got = editBoth('host h1 { }\nv11 on h1 { memory 4 GiB }\nattacker a1 {\n  vm x1 on h1\n}\nhost h3 { }\n',
    'host h1 { }\nv11 on h1 { memory 4 GiB }\namonitrtacker a1 {\n  vm x1 on h1\n}\nhost h3 { }\n');
  assert.ok(!got.some((m) => m.includes("'amonitrtacker'")), got.join('\n'));
});

test('a typo kept before the edit still reports its did-you-mean once', () => {
  editBoth('host h1 { }\nhots h2 { cpus 1 }\nhost h3 { cpus 2 }\nhost h4 { }\n', 'host h1 { }\nhots h2 { cpus 1 }\nhost h3 { cpus 27 }\nhost h4 { }\n');
});
