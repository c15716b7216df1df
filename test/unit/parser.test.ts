import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from '../../grammar/src/parse';
import type * as A from '../../grammar/src/ast';

const fixture = (name: string) => readFileSync(join(import.meta.dirname, '..', 'fixtures', name), 'utf8');

test('every construct of the grammar parses without a problem', () => {
  const doc = parse(fixture('every-construct.vmsec'));
  assert.deepEqual(doc.problems, []);
  const kinds = new Set(doc.decls.map((d) => d.kind));
  for (const k of ['import', 'boot', 'host', 'link', 'network', 'vm', 'fork', 'monitor', 'checkpoint', 'authority', 'certificate', 'share', 'attacker', 'scenario']) {
    assert.ok(kinds.has(k as A.Decl['kind']), `missing ${k}`);
  }
  const sc = doc.decls.find((d): d is A.ScenarioDecl => d.kind === 'scenario')!;
  const steps = sc.items.filter((i) => i.key === 'step').map((i) => (i as { body: A.StepBody }).body.kind);
  assert.deepEqual([...new Set(steps)], ['fork', 'syscall', 'checkpoint', 'restore', 'write', 'migrate', 'rotate', 'present']);
  const expects = sc.items.filter((i) => i.key === 'expect').map((i) => (i as { body: A.ExpectBody }).body.kind);
  assert.deepEqual([...new Set(expects)], ['attestation', 'ready', 'pages', 'no-tampered', 'verdicts', 'state', 'excludes', 'sees', 'write']);
});

test('the shared example and all samples parse cleanly', () => {
  const samples = join(import.meta.dirname, '..', '..', 'samples');
  const files = [join(import.meta.dirname, '..', '..', '..', 'shared', 'examples', 'trusted-fork.vmsec')];
  for (const f of readdirSync(samples, { recursive: true }) as string[]) if (f.endsWith('.vmsec')) files.push(join(samples, f));
  for (const f of files) {
    let text: string;
    try { text = readFileSync(f, 'utf8'); } catch { continue; } // shared/ may be absent outside CI
    assert.deepEqual(parse(text).problems, [], f);
  }
});

test('the AST keeps values, units and exact spans', () => {
  const text = 'host alpha { memory 128 GiB tpm ecdsa-p256 }';
  const h = parse(text).decls[0] as A.HostDecl;
  assert.equal(h.name.text, 'alpha');
  assert.equal(text.slice(h.name.span.start, h.name.span.end), 'alpha');
  const mem = h.props[0] as A.ValueProp<'memory', A.Quantity>;
  assert.equal(mem.value.value, 128 * 1024 ** 3);
  assert.equal(text.slice(mem.value.span.start, mem.value.span.end), '128 GiB');
  assert.equal(text.slice(h.span.start, h.span.end), text);
});

test('conditions keep precedence: and binds tighter than or; not applies to one factor', () => {
  const m = parse('monitor m for v { rule r on open when not fileEq(0, "/a") and port(1) or ip(1.2.3.4) then allow }').decls[0] as A.MonitorDecl;
  const rule = m.props[0] as A.RuleDecl;
  assert.equal(rule.when!.kind, 'or');
  const or = rule.when as { operands: A.Cond[] };
  assert.equal(or.operands[0].kind, 'and');
  assert.equal((or.operands[0] as { operands: A.Cond[] }).operands[0].kind, 'not');
  assert.equal(or.operands[1].kind, 'ip');
});

test('keywords can be names where a name is expected', () => {
  const doc = parse('host memory { } vm disk on memory { process file { } } fork on of disk { on memory }');
  assert.deepEqual(doc.problems, []);
  assert.deepEqual(doc.decls.map((d) => ('name' in d ? d.name.text : '')), ['memory', 'disk', 'on']);
});

test('recovery: several mistakes are all reported and later declarations survive', () => {
  const text = [
    'host a { cpus 4 memry 8 GiB }', // unknown property
    'host b { cpus }',               // missing value
    'vm w on a { memory 1 GiB',       // missing }
    'fork f of w { on b integrity }', // missing value at }
    'host c { tpm ecdsa-p256 }',
  ].join('\n');
  const doc = parse(text);
  assert.ok(doc.problems.length >= 4, JSON.stringify(doc.problems));
  assert.match(doc.problems[0].message, /unknown host property 'memry' — did you mean 'memory'/);
  assert.deepEqual(doc.decls.map((d) => ('name' in d ? d.name.text : d.kind)), ['a', 'b', 'w', 'f', 'c']);
  const a = doc.decls[0] as A.HostDecl;
  assert.equal(a.props.length, 1, 'cpus 4 is kept');
  const c = doc.decls[4] as A.HostDecl;
  assert.equal(c.props[0].key, 'tpm');
});

test('recovery: top-level garbage (stray braces too) is skipped to the next declaration', () => {
  const text = 'frob a { }\n}} host b { cpus 2 }';
  const doc = parse(text);
  assert.deepEqual(doc.problems.map((p) => [text.slice(p.span.start, p.span.end), p.message]), [
    ['frob', "unknown declaration 'frob'; a declaration starts with one of: import, boot, host, link, network, vm, fork, monitor, checkpoint, authority, certificate, share, attacker, scenario"],
  ]);
  assert.deepEqual(doc.decls.map((d) => (d as A.HostDecl).name.text), ['b']);
});

test('recovery: a misspelt declaration keyword is read as the declaration it is a typo of', () => {
  const text = 'hots a { cpus 2 boot g }\nhost b { }';
  const doc = parse(text);
  assert.deepEqual(doc.problems.map((p) => [text.slice(p.span.start, p.span.end), p.message]), [['hots', "unknown declaration 'hots' — did you mean 'host'?"]]);
  assert.deepEqual(doc.decls.map((d) => [d.kind, (d as A.HostDecl).name.text, (d as A.HostDecl).props.length]), [['host', 'a', 2], ['host', 'b', 0]]);
});

test('problems are located at the offending token', () => {
  const text = 'fork f of w { children }';
  const p = parse(text).problems[0];
  assert.equal(text.slice(p.span.start, p.span.end), '}');
  assert.match(p.message, /expected a number but found '}'/);
});

test('no input crashes the parser: every prefix of a real file, binary, deep nesting', () => {
  const text = fixture('every-construct.vmsec');
  for (let i = 0; i <= text.length; i += 7) parse(text.slice(0, i));
  const binary = Array.from({ length: 5000 }, (_, i) => String.fromCharCode((i * 7919) % 256)).join('');
  assert.ok(parse(binary).problems.length > 0);
  const deep = `monitor m for v { rule r on open when ${'('.repeat(20000)}port(1)${')'.repeat(20000)} then allow }\nhost z { }`;
  const d = parse(deep);
  assert.match(d.problems[0].message, /nesting deeper than/);
  assert.equal((d.decls.at(-1) as A.HostDecl).name.text, 'z');
  const braces = parse('{'.repeat(50000));
  assert.ok(braces.problems.length > 0);
});

test('problem count is bounded on garbage input', () => {
  const doc = parse('@ '.repeat(5000));
  assert.ok(doc.problems.length <= 201);
});
