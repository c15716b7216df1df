// `vmsec export-policy` with paths that hold control and line-break
// characters: the YAML must be one strict readers (libyaml, PyYAML, go-yaml)
// accept and read back unchanged, and a Falco condition must be one Falco's
// filter parser accepts and reads back unchanged. js-yaml accepts raw
// characters the strict readers refuse or fold, so the emitted text itself is
// checked too; Falco's string reader is modelled below from libsinsp.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import * as nodePath from 'node:path';
import { createRequire } from 'node:module';
import { tempDir } from '../tmp';
import { captured, type Ran } from '../capture';
import { runExportPolicy } from '../../server/src/cli/export-policy';
import { q } from '../../server/src/report/policy/translate';

const yaml = createRequire(import.meta.url)('js-yaml') as { load(text: string): unknown };

/** Paths a strict YAML reader or Falco would read differently if written raw or JSON-escaped. */
const TRICKY: Record<string, string> = {
  esc: '/x\x1by',
  bell: '/a\x07b',
  del: '/d\x7fe',
  c1: '/c\x80\x9b\x9f',
  nel: '/p\u0085q',
  seps: '/l\u2028p\u2029',
  bom: '/b\ufeffo',
  nonchars: '/n\ufffe\uffff',
  // No CR: a vmsec string cannot hold one.
  ws: '/t\tn\nb\bf\f',
  quote: '/q"x',
  backslash: '/s\\x\\',
  mid: '/s\\"t',
  plain: '/caf\u00e9/\u{1f600}',
};

/** Runs the subcommand in-process, capturing what it prints. */
const run = (args: string[]): Ran => captured(() => runExportPolicy(args));

/** A vmsec string literal: the language escapes only `"`, `\` and newline; the rest is written raw. */
function lit(s: string): string {
  return `"${s.replace(/[\\"]/g, (c) => `\\${c}`).replace(/\n/g, '\\n')}"`;
}

function monitorFile(rules: Record<string, string>): string {
  const body = Object.entries(rules).map(([name, path]) => `  rule ${name} on open when fileEq(0, ${lit(path)}) then deny(13)`).join('\n');
  const file = nodePath.join(tempDir('policy-esc-'), 'm.vmsec');
  writeFileSync(file, `host h1 { cpus 4 memory 8 GiB tpm ecdsa-p256 }
vm app on h1 {
  vcpus 1
  memory 1 GiB
}
monitor m for app {
  mode serial
${body}
}
`);
  return file;
}

/** Characters strict readers refuse (outside YAML's printable set) or read as a line break / BOM. */
const YAML_UNSAFE = /[^\t\n\x20-\x7e\xa0-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]|[\u2028\u2029\ufeff]/u;

function assertStrictYaml(text: string): void {
  const m = YAML_UNSAFE.exec(text);
  assert.equal(m, null, m ? `raw U+${m[0].codePointAt(0)!.toString(16).padStart(4, '0')} at ${m.index}: ${JSON.stringify(text.slice(Math.max(0, m.index - 40), m.index + 10))}` : '');
}

/**
 * The double-quoted strings of a Falco condition as Falco reads them
 * (libsinsp filter/parser.cpp lex_quoted_str + filter/escaping.cpp
 * unescape_str): a string ends at a quote not preceded by a backslash, stops
 * at NUL, and only \b \f \n \r \t \\ \/ \" are escapes; any other throws,
 * which makes Falco refuse the whole rules file.
 */
function falcoStrings(cond: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < cond.length) {
    if (cond[i] !== '"') { i++; continue; }
    let raw = '"';
    let prev = '\\';
    let j = i;
    for (;;) {
      assert.ok(j < cond.length && cond[j] !== '\0', `unterminated Falco string in ${JSON.stringify(cond)}`);
      if (j > i && cond[j] === '"' && prev !== '\\') break;
      prev = cond[j];
      if (j > i) raw += cond[j];
      j++;
    }
    let res = '';
    for (let k = 1; k < raw.length; k++) {
      if (raw[k] !== '\\') { res += raw[k]; continue; }
      const e = raw[++k];
      const map: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', '\\': '\\', '/': '/', '"': '"', ' ': '\\' };
      assert.ok(e in map, `Falco refuses the escape \\${e} in ${JSON.stringify(cond)}`);
      res += map[e];
    }
    out.push(res);
    i = j + 1;
  }
  return out;
}

test('q: a YAML scalar strict readers accept and read back unchanged; ordinary text as JSON writes it', () => {
  for (const [name, s] of Object.entries(TRICKY)) {
    const text = q(s);
    assertStrictYaml(text);
    assert.equal(yaml.load(`v: ${text}`) && (yaml.load(`v: ${text}`) as { v: string }).v, s, name);
  }
  assert.equal(q('/p\u0085q'), '"/p\\u0085q"');
  assert.equal(q('/d\x7f'), '"/d\\u007f"');
  assert.equal(q('/l\u2028'), '"/l\\u2028"');
  // Unchanged for what goldens hold: printable ASCII, non-ASCII letters, emoji, JSON's own escapes.
  for (const s of ['/etc/shadow', '/caf\u00e9/\u{1f600}', 'a"b\\c\td\ne']) assert.equal(q(s), JSON.stringify(s));
});

test('tetragon: tricky paths are escaped in the YAML and read back unchanged', () => {
  const r = run([monitorFile(TRICKY), 'm', '--format', 'tetragon']);
  assert.equal(r.code, 0, r.stderr);
  assertStrictYaml(r.stdout);
  const doc = yaml.load(r.stdout) as { spec: { kprobes: { selectors: { matchArgs: { values: string[] }[] }[] }[] } };
  const values = doc.spec.kprobes[0].selectors.map((s) => s.matchArgs[0].values[0]);
  assert.deepEqual(values, Object.values(TRICKY));
  assert.ok(!/not exported for open/.test(r.stderr), r.stderr);
});

test('falco: tricky paths reach Falco unchanged, with only escapes Falco accepts', () => {
  const { backslash: _, ...expressible } = TRICKY;
  const r = run([monitorFile(expressible), 'm', '--format', 'falco']);
  assert.equal(r.code, 0, r.stderr);
  assertStrictYaml(r.stdout);
  const rules = yaml.load(r.stdout) as { rule: string; condition: string }[];
  assert.deepEqual(rules.map((x) => x.rule), Object.keys(expressible).map((n) => `vmsec m ${n}`));
  for (const [i, [name, path]] of Object.entries(expressible).entries()) {
    const cond = rules[i].condition;
    assert.ok(cond.startsWith('evt.type = open and evt.dir = < and fd.name = "'), cond);
    assert.deepEqual(falcoStrings(cond), [path], name);
  }
});

test('a path an engine cannot hold leaves the rule out, with a note in the YAML and on stderr', () => {
  const file = monitorFile({ nul: '/x\0y', trail: '/dir\\', ok: '/ok' });
  const f = run([file, 'm', '--format', 'falco']);
  assert.equal(f.code, 0, f.stderr);
  assertStrictYaml(f.stdout);
  const rules = (yaml.load(f.stdout) as { rule: string; condition: string }[]);
  assert.deepEqual(rules.map((x) => x.rule), ['vmsec m ok']);
  for (const c of rules.map((x) => x.condition)) falcoStrings(c);
  const nul = 'the path of fileEq(0, …) holds a NUL character, which no engine string or kernel path can carry; the rule is not exported for open';
  const trail = 'the path of fileEq(0, …) ends in a backslash, which Falco\'s string syntax cannot express; the rule is not exported for open';
  assert.ok(f.stderr.includes(`vmsec: note: monitor m, rule nul: ${nul}\n`), f.stderr);
  assert.ok(f.stderr.includes(`vmsec: note: monitor m, rule trail: ${trail}\n`), f.stderr);
  assert.ok(f.stdout.includes(`#   rule nul: ${nul}\n`));
  assert.ok(f.stdout.includes(`#   rule trail: ${trail}\n`));

  // Tetragon reads a trailing backslash as written; a NUL it cannot hold either.
  const t = run([file, 'm', '--format', 'tetragon']);
  assert.equal(t.code, 0, t.stderr);
  assertStrictYaml(t.stdout);
  const doc = yaml.load(t.stdout) as { spec: { kprobes: { selectors: { matchArgs: { values: string[] }[] }[] }[] } };
  assert.deepEqual(doc.spec.kprobes[0].selectors.map((s) => s.matchArgs[0].values[0]), ['/dir\\', '/ok']);
  assert.ok(t.stderr.includes(`vmsec: note: monitor m, rule nul: ${nul}\n`), t.stderr);
  assert.ok(!t.stderr.includes('rule trail: the path'), t.stderr);
});
