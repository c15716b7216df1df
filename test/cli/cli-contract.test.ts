// The command-line contract, subcommand by subcommand, as a user meets it:
// exit codes (0 ok, 1 findings, 2 usage/input/I-O), options, help, what is
// read (regular files only, size-capped, never blocking) and what the output
// formats guarantee (SARIF URIs, well-formed JUnit, no raw control characters).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../tmp';
import { xmlText } from '../../server/src/report/xml-text';

const CLI = join(import.meta.dirname, '..', '..', 'dist', 'vmsec.js');

/** Runs the bundled CLI; a hang shows as a failed assertion, not as a hung test run. */
function vmsec(args: string[], cwd?: string) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', timeout: 60_000, maxBuffer: 64 << 20 });
  assert.equal(r.signal, null, `vmsec ${args.join(' ')} did not finish (${r.signal})`);
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function workdir(files: Record<string, string>): string {
  const dir = tempDir('contract-');
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

const noStack = (s: string) => assert.doesNotMatch(s, /\n\s+at .+:\d+:\d+\)?\n/, 'a stack trace reached the user');

const SETUP = 'host a { }\nvm v on a { memory 16 MiB process p { memory 1 MiB } }\nmonitor m for v { default allow }\n';
const scenario = (title: string, allows: number) => `${SETUP}scenario "${title}" { at 0 ms syscall v p open("/x") expect m allows == ${allows} }\n`;
const PASSING = scenario('ok', 1);
const FAILING = scenario('no', 2);
const LIBRARY = 'host a { }\n';

describe('exit codes', () => {
  test('check: 0 clean, 1 errors, 2 missing path', () => {
    const dir = workdir({ 'ok.vmsec': LIBRARY, 'bad.vmsec': 'vm v on nowhere { }\n' });
    assert.equal(vmsec(['check', 'ok.vmsec'], dir).code, 0);
    assert.equal(vmsec(['check', 'bad.vmsec'], dir).code, 1);
    const missing = vmsec(['check', 'gone.vmsec'], dir);
    assert.equal(missing.code, 2);
    assert.match(missing.err, /^vmsec: no such file or folder: gone\.vmsec$/m);
  });

  test('run: 0 passed, 1 failed expectation, 2 file with errors', () => {
    const dir = workdir({ 'pass.vmsec': PASSING, 'fail.vmsec': FAILING, 'bad.vmsec': 'vm v on nowhere { }\nscenario "s" { }\n' });
    assert.equal(vmsec(['run', 'pass.vmsec'], dir).code, 0);
    assert.equal(vmsec(['run', 'fail.vmsec'], dir).code, 1);
    const bad = vmsec(['run', 'bad.vmsec'], dir);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /^bad\.vmsec:1:9: error VMS001 host 'nowhere' is not declared/m);
  });

  test('ckpt: a missing file, a folder and a damaged file are input errors (2), one line each, no stack', () => {
    const dir = workdir({ 'fake.ckpt': 'VMSECCK\0\0\0garbage that is no manifest' });
    mkdirSync(join(dir, 'folder.ckpt'));
    symlinkSync('loop.ckpt', join(dir, 'loop.ckpt'));
    for (const f of ['none.ckpt', 'folder.ckpt', 'fake.ckpt', 'loop.ckpt']) {
      const r = vmsec(['ckpt', f], dir);
      assert.equal(r.code, 2, `${f}: ${r.err}`);
      assert.equal(r.out, '');
      assert.match(r.err, /^vmsec: .+\n$/, `${f}: one line`);
      noStack(r.err);
    }
    // An errno is said in words (the code kept for searching).
    assert.match(vmsec(['ckpt', 'loop.ckpt'], dir).err, /loop\.ckpt: too many symbolic links on the way \(ELOOP\)/);
  });
});

describe('run FOLDER', () => {
  test('runs every file of the folder; exit 1 if any scenario fails; a library file says it has no scenarios', () => {
    const dir = workdir({ 'suite/a-pass.vmsec': PASSING, 'suite/b-fail.vmsec': FAILING, 'suite/lib/hosts.vmsec': LIBRARY });
    const r = vmsec(['run', 'suite'], dir);
    assert.equal(r.code, 1, r.err);
    assert.match(r.out, /^scenario "ok" \(seed 1\)$/m);
    assert.match(r.out, /^scenario "no" \(seed 1\)$/m);
    assert.match(r.out, /^2 files: 1 passed, 1 failed$/m);
    assert.match(r.err, /^vmsec: no scenarios in suite\/lib\/hosts\.vmsec$/m);
    const json = JSON.parse(vmsec(['run', 'suite', '--format', 'json'], dir).out);
    assert.deepEqual(json.files.map((f: { file: string; scenarios: { name: string; passed: boolean }[] }) => [f.file, f.scenarios.map((s) => [s.name, s.passed])]),
      [['suite/a-pass.vmsec', [['ok', true]]], ['suite/b-fail.vmsec', [['no', false]]]]);
  });

  test('a folder with a file that has errors runs nothing (exit 2)', () => {
    const dir = workdir({ 'suite/a.vmsec': PASSING, 'suite/z.vmsec': 'vm v on nowhere { }\n' });
    const r = vmsec(['run', 'suite'], dir);
    assert.equal(r.code, 2);
    assert.equal(r.out, '');
    assert.match(r.err, /^suite\/z\.vmsec:1:9: error VMS001 /m);
  });
});

describe('options', () => {
  test('an unknown option is named as such, for every subcommand', () => {
    const dir = workdir({ 'a.vmsec': LIBRARY });
    for (const sub of ['check', 'run', 'ckpt']) {
      const r = vmsec([sub, 'a.vmsec', '--frob'], dir);
      assert.equal(r.code, 2);
      assert.match(r.err, /^vmsec: unknown option --frob$/m, sub);
      assert.match(r.err, new RegExp(`usage: vmsec ${sub} `));
    }
    assert.match(vmsec(['check', 'a.vmsec', '--frob=1'], dir).err, /^vmsec: unknown option --frob$/m);
    assert.match(vmsec(['check', 'a.vmsec', '-x'], dir).err, /^vmsec: unknown option -x$/m);
    assert.match(vmsec(['run', 'a.vmsec', '--scenario'], dir).err, /^vmsec: --scenario needs a value$/m);
  });

  test('--help and -h print the subcommand help and exit 0', () => {
    for (const sub of ['check', 'run', 'ckpt']) {
      for (const flag of ['--help', '-h']) {
        const r = vmsec([sub, flag]);
        assert.equal(r.code, 0, `${sub} ${flag}`);
        assert.match(r.out, new RegExp(`^usage: vmsec ${sub} `), `${sub} ${flag}`);
        assert.equal(r.err, '');
      }
    }
    assert.match(vmsec(['run', '--help']).out, /--max-checkpoint-size SIZE/);
    assert.match(vmsec(['help', 'ckpt']).out, /^usage: vmsec ckpt /);
  });

  test('-- ends the options: a file named like an option is a file', () => {
    const dir = workdir({ '--format': LIBRARY.replace('a', 'b'), '-h.vmsec': LIBRARY });
    const r = vmsec(['check', '--', '--format', '-h.vmsec'], dir);
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /^2 files checked: 0 errors/m);
  });

  test('--root must name an existing folder', () => {
    const dir = workdir({ 'a.vmsec': LIBRARY });
    const missing = vmsec(['check', 'a.vmsec', '--root', 'nope'], dir);
    assert.equal(missing.code, 2);
    assert.match(missing.err, /^vmsec: --root nope: no such folder$/m);
    const file = vmsec(['run', 'a.vmsec', '--root', 'a.vmsec'], dir);
    assert.equal(file.code, 2);
    assert.match(file.err, /^vmsec: --root a\.vmsec: not a folder$/m);
  });

  test('--max-checkpoint-size takes a size with a unit and bounds checkpoint files', () => {
    const dir = workdir({ 'c.vmsec': 'host h { } vm v on h { memory 16 MiB process s { memory 4 MiB confidential } }\ncheckpoint big of v { to "out/big.ckpt" }\nscenario "x" { at 0 ms checkpoint big }\n' });
    const bad = vmsec(['run', 'c.vmsec', '--max-checkpoint-size', 'lots'], dir);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /^vmsec: --max-checkpoint-size lots: not a size; write e\.g\. 500MB or 2GiB$/m);
    const small = vmsec(['run', 'c.vmsec', '--max-checkpoint-size', '1KiB'], dir);
    assert.equal(small.code, 1, small.err);
    assert.match(small.out, /the limit is 1 KiB/);
    assert.equal(existsSync(join(dir, 'out', 'big.ckpt')), false);
    assert.equal(vmsec(['run', 'c.vmsec', '--max-checkpoint-size=2GiB'], dir).code, 0);
    assert.equal(existsSync(join(dir, 'out', 'big.ckpt')), true);
  });

  test('a file without scenarios says so (on stderr) instead of "0 passed, 0 failed"', () => {
    const dir = workdir({ 'lib.vmsec': LIBRARY });
    const r = vmsec(['run', 'lib.vmsec'], dir);
    assert.equal(r.code, 0);
    assert.equal(r.out, '');
    assert.equal(r.err, 'vmsec: no scenarios in lib.vmsec\n');
  });
});

describe('what is read', () => {
  test('run refuses when an imported file has errors, and writes nothing', () => {
    const dir = workdir({
      'ws/main.vmsec': 'import "lib/ck.vmsec"\nscenario "s" { at 0 ms checkpoint c }\n',
      'ws/lib/ck.vmsec': 'host h { } vm v on h { memory 16 MiB }\ncheckpoint c of v { to "../../escaped.ckpt" }\n',
    });
    const r = vmsec(['run', 'ws/main.vmsec'], dir);
    assert.equal(r.code, 2);
    assert.match(r.err, /^ws\/lib\/ck\.vmsec:2:\d+: error VMS\d+ /m);
    assert.match(r.err, /ws\/lib\/ck\.vmsec has errors; fix them before running/);
    assert.equal(existsSync(join(dir, 'escaped.ckpt')), false);
    // check reports the same error from the importing file alone.
    const c = vmsec(['check', 'ws/main.vmsec'], dir);
    assert.equal(c.code, 1);
    assert.match(c.out, /^ws\/lib\/ck\.vmsec:2:\d+: error /m);
  });

  test('an import of a FIFO or of /dev/zero is VMS004 at once, never a hang', (t) => {
    const dir = workdir({ 'main.vmsec': 'import "pipe.vmsec"\nimport "zero.vmsec"\nhost a { }\n' });
    symlinkSync('/dev/zero', join(dir, 'zero.vmsec'));
    if (spawnSync('mkfifo', [join(dir, 'pipe.vmsec')]).status !== 0) { t.skip('mkfifo is not available'); return; }
    for (const args of [['check', 'main.vmsec'], ['run', 'main.vmsec'], ['check', '.']]) {
      const r = vmsec(args, dir);
      assert.equal(r.code, args[0] === 'run' ? 2 : 1, `${args.join(' ')}: ${r.err}`);
      const text = args[0] === 'run' ? r.err : r.out;
      assert.match(text, /^main\.vmsec:1:8: error VMS004 cannot read 'pipe\.vmsec': .*pipe\.vmsec is a FIFO, not a regular file$/m);
      assert.match(text, /^main\.vmsec:2:8: error VMS004 cannot read 'zero\.vmsec': .*zero\.vmsec is a device, not a regular file$/m);
    }
    // Named directly, the FIFO is an input error.
    const direct = vmsec(['check', 'pipe.vmsec'], dir);
    assert.equal(direct.code, 2);
    assert.match(direct.err, /^vmsec: cannot read pipe\.vmsec: it is a FIFO, not a regular file$/m);
  });

  test('an import of a file not named *.vmsec is VMS004 and nothing of its text is shown', () => {
    // A scenario from someone else's repository must not print a secret file's words into a CI log as syntax errors.
    const dir = workdir({ 'main.vmsec': 'import "secret.txt"\nimport "/etc/passwd"\nhost a { }\n', 'secret.txt': 'AKIAEXAMPLEKEY = hunter2\n' });
    const r = vmsec(['check', 'main.vmsec'], dir);
    assert.equal(r.code, 1);
    const why = "is not a .vmsec file: an import names a vmsec file, so that no other file's text is read and quoted in messages";
    assert.deepEqual(r.out.trimEnd().split('\n'), [
      `main.vmsec:1:8: error VMS004 cannot read 'secret.txt': ${join(dir, 'secret.txt')} ${why}`,
      `main.vmsec:2:8: error VMS004 cannot read '/etc/passwd': /etc/passwd ${why}`,
    ]);
    assert.doesNotMatch(r.out + r.err, /AKIA|hunter2|root/);
  });

  test('an import over 16 MiB is VMS004 naming the file and its size', () => {
    const dir = workdir({ 'main.vmsec': 'import "huge.vmsec"\nhost a { }\n', 'huge.vmsec': '' });
    truncateSync(join(dir, 'huge.vmsec'), 17 * 1024 * 1024);
    const r = vmsec(['check', 'main.vmsec'], dir);
    assert.equal(r.code, 1);
    assert.match(r.out, /^main\.vmsec:1:8: error VMS004 cannot read 'huge\.vmsec': .*huge\.vmsec is 17 MiB; the limit is 16 MiB$/m);
  });

  test('a folder with one unreadable file: the other files are still checked and printed, then exit 2 names it', () => {
    const dir = workdir({ 'main.vmsec': 'host a { boot nope }\n', 'huge.vmsec': '' });
    truncateSync(join(dir, 'huge.vmsec'), 17 * 1024 * 1024);
    const r = vmsec(['check', '.'], dir);
    assert.equal(r.code, 2);
    assert.match(r.out, /^main\.vmsec:1:\d+: error VMS001 /m);
    assert.match(r.err, /^vmsec: cannot read huge\.vmsec: it is 17 MiB; the limit is 16 MiB$/m);
  });

  test('a file whose name is not UTF-8 is named as such, not as missing', () => {
    const dir = workdir({ 'main.vmsec': 'host a { boot nope }\n' });
    writeFileSync(Buffer.concat([Buffer.from(`${dir}/bad`), Buffer.from([0xff]), Buffer.from('.vmsec')]), 'host b { }\n');
    const why = 'cannot be opened: its name is not valid UTF-8 (shown with \uFFFD), and Node cannot name such a file; rename it';
    const r = vmsec(['check', '.'], dir);
    assert.equal(r.code, 2);
    assert.match(r.out, /^main\.vmsec:1:\d+: error VMS001 /m);
    assert.ok(r.err.includes(`vmsec: cannot read bad\uFFFD.vmsec: it ${why}\n`), r.err);
    // Named on the command line, Node hands over the same lossy name.
    const direct = vmsec(['check', 'bad\uFFFD.vmsec'], dir);
    assert.equal(direct.code, 2);
    assert.equal(direct.err, `vmsec: bad\uFFFD.vmsec: ${why}\n`);
  });

  test('a file starting with a UTF-8 BOM checks clean, as in the editor', () => {
    const dir = workdir({ 'bom.vmsec': '\uFEFFhost a { }\n' });
    const r = vmsec(['check', 'bom.vmsec'], dir);
    assert.equal(r.code, 0, r.out);
    assert.equal(r.out, '');
  });
});

describe('--costs', () => {
  const refused = (json: string, message: RegExp) => {
    const dir = workdir({ 'p.vmsec': PASSING, 'c.json': json });
    const r = vmsec(['run', 'p.vmsec', '--costs', 'c.json'], dir);
    assert.equal(r.code, 2, `${json}: ${r.out}`);
    assert.match(r.err, message, json);
    noStack(r.err);
  };

  test('1e400 (Infinity), negatives and absurd fractions are refused with the key and the range', () => {
    refused('{"tpmQuote": 1e400}', /^vmsec: --costs c\.json: 'tpmQuote' is Infinity; it must be a number at least 0 and at most 3600000000 \(microseconds\)$/m);
    refused('{"ecdsaSign": -1}', /'ecdsaSign' is -1; it must be a number at least 0/);
    refused('{"descriptorFraction": 0}', /'descriptorFraction' is 0; it must be a number greater than 0 and at most 1/);
    refused('{"descriptorFraction": 1000}', /'descriptorFraction' is 1000;/);
    refused('{"resume": "10"}', /'resume' is "10"; it must be a number/);
  });

  test('prototype names are unknown costs', () => {
    for (const k of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) refused(`{"${k}": 1}`, new RegExp(`unknown cost '${k}'`));
  });

  test('the costs file is read like a source file: regular files only', (t) => {
    refused('[1]', /expected a JSON object/);
    refused('{', /not valid JSON/);
    const dir = workdir({ 'p.vmsec': PASSING });
    if (spawnSync('mkfifo', [join(dir, 'c.json')]).status !== 0) { t.skip('mkfifo is not available'); return; }
    const r = vmsec(['run', 'p.vmsec', '--costs', 'c.json'], dir);
    assert.equal(r.code, 2);
    assert.match(r.err, /^vmsec: --costs c\.json is a FIFO, not a regular file$/m);
  });
});

describe('output formats', () => {
  test('SARIF URIs are URI references: relative ones encoded against %SRCROOT%, others file:// URIs', () => {
    const name = 'my dir/a #1 100% é.vmsec';
    const dir = workdir({ [name]: 'vm v on nowhere { }\n' });
    const outside = workdir({ 'x.vmsec': 'vm w on nowhere { }\n' });
    const r = vmsec(['check', name, join(outside, 'x.vmsec'), '--format', 'sarif'], dir);
    assert.equal(r.code, 1);
    const run = JSON.parse(r.out).runs[0];
    const base = run.originalUriBaseIds['%SRCROOT%'].uri;
    assert.equal(fileURLToPath(base), dir + '/');
    const locs = run.results.map((x: { locations: { physicalLocation: { artifactLocation: { uri: string; uriBaseId?: string } } }[] }) => x.locations[0].physicalLocation.artifactLocation);
    const rel = locs.find((l: { uriBaseId?: string }) => l.uriBaseId === '%SRCROOT%');
    assert.equal(rel.uri, 'my%20dir/a%20%231%20100%25%20%C3%A9.vmsec');
    assert.doesNotMatch(rel.uri, /[ #]|%(?![0-9A-F]{2})|[^\x21-\x7e]/);
    assert.equal(fileURLToPath(new URL(rel.uri, base)), join(dir, name), 'round trip');
    assert.equal(decodeURIComponent(new URL(rel.uri, 'file:///base/').pathname), `/base/${name}`);
    const abs = locs.find((l: { uriBaseId?: string }) => l.uriBaseId === undefined);
    assert.deepEqual(Object.keys(abs), ['uri']);
    assert.match(abs.uri, /^file:\/\/\//);
    assert.equal(fileURLToPath(abs.uri), join(outside, 'x.vmsec'));
  });

  test('JUnit is well-formed XML whatever the titles hold; text output escapes control characters', () => {
    // In the source: raw control characters and a tab, and escaped quotes.
    const title = 'bad \u0001\u001b[31m \\"<&>\\" ]]> tab\there';
    const dir = workdir({ 't.vmsec': scenario(title, 2) });
    const junit = vmsec(['run', 't.vmsec', '--format', 'junit'], dir);
    assert.equal(junit.code, 1, junit.err);
    assertWellFormed(junit.out);
    assert.match(junit.out, /<testsuite name="bad \\x01\\x1b\[31m &quot;&lt;&amp;&gt;&quot; \]\]&gt; tab&#9;here"/);
    // A lone surrogate cannot come from a UTF-8 file, but the escaping covers it.
    assert.equal(xmlText('a\uD800b\uD83D\uDE00'), 'a\\ud800b\uD83D\uDE00');
    const text = vmsec(['run', 't.vmsec'], dir);
    assert.equal(text.code, 1);
    assert.doesNotMatch(text.out + text.err, /[\u0000-\u0008\u000b-\u001f\u007f]/, 'raw control characters on the terminal');
    assert.match(text.out, /scenario "bad \\x01\\x1b\[31m /);
  });

  test('no doubled words in outcomes: a child that was not created says so once', () => {
    const dir = workdir({ 'f.vmsec': `boot good { pcr 0 "fw" } boot evil { pcr 0 "rootkit" }
host a { tpm ecdsa-p256 boot good } host b { tpm ecdsa-p256 boot evil } link a <-> b { }
vm v on a { memory 16 MiB vtpm }
fork f of v { on b attest hosts against good }
scenario "s" { at 0 ms fork f }
` });
    const r = vmsec(['run', 'f.vmsec'], dir);
    assert.match(r.out, /child +f\[1\] on b/, r.out + r.err);
    assert.doesNotMatch(r.out, /\b(\w+(?: \w+)?) — \1\b/);
    assert.match(r.out, /: not created at [\d.]+ ms: b refused \(attestation failed, b: invalid_pcr_0\)/);
  });
});

describe('never a stack trace', () => {
  test('bad input of every kind exits 0..2 with vmsec: messages', () => {
    const dir = workdir({ 'a.vmsec': LIBRARY, 'x.json': '{}' });
    mkdirSync(join(dir, 'empty'));
    for (const args of [[], ['frob'], ['run'], ['run', 'empty'], ['ckpt'], ['ckpt', 'a', 'b'], ['check', 'a.vmsec', '--format', 'xml'], ['run', 'a.vmsec', '--costs', 'missing.json'], ['run', 'a.vmsec', '--scenario', 'nope']]) {
      const r = vmsec(args, dir);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.err}`);
      assert.match(r.err, /^vmsec: /, args.join(' '));
      noStack(r.err);
    }
    assert.deepEqual(readdirSync(join(dir, 'empty')), []);
  });
  test('20,000 misspelt declarations: each resumes where the last stopped (it copied the rest of the file each time: minutes)', () => {
    const dir = workdir({ 'typos.vmsec': 'hots h { boot b cpus 2 }\n'.repeat(20_000) });
    const r = spawnSync(process.execPath, [CLI, 'check', 'typos.vmsec'], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.signal, null, `killed by ${r.signal}`);
    assert.equal(r.status, 1, r.stderr.slice(-400));
    assert.equal(r.stdout.split('\n')[0], "typos.vmsec:1:1: error VMS000 unknown declaration 'hots' — did you mean 'host'?");
  });
  test('4 MiB of stray characters is checked in a 300 MB heap: 200 located problems and a count of the rest', () => {
    // Each stray character once cost an error object and two message strings: this file took 1.3 GB
    // (16 MiB took 4.4 GB and 56 s), so a language server on it could die of an out-of-memory abort.
    const dir = workdir({ 'stray.vmsec': 'a@'.repeat(2 << 20) });
    const r = spawnSync(process.execPath, ['--max-old-space-size=300', CLI, 'check', 'stray.vmsec'], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.signal, null, `killed by ${r.signal}: ${r.stderr.slice(-400)}`);
    assert.equal(r.status, 1, r.stderr.slice(-400));
    const lines = r.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 201);
    assert.equal(lines[1], 'stray.vmsec:1:2: error VMS000 unexpected character "@"');
    // One problem for the leading `a`, one per `@`: all but the first 200 counted.
    // The count is an info line (VMS009, as past the validator's cap), not one more error.
    assert.equal(lines[200], `stray.vmsec:1:398: info VMS009 ${(2 << 20) + 1 - 200} more syntax problems not shown; fix the ones above first`);
    assert.match(r.stderr, /^1 file checked: 200 errors, 0 warnings$/m);
  });
});

/** XML 1.0 well-formedness, enough for what vmsec writes: allowed characters,
 *  entity references, quoted attributes, and balanced, properly nested tags. */
function assertWellFormed(xml: string): void {
  assert.doesNotMatch(xml, /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/, 'a character XML 1.0 does not allow');
  assert.doesNotMatch(xml, /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/, 'a lone surrogate');
  assert.doesNotMatch(xml, /&(?!(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/, 'a bare &');
  const body = xml.replace(/^<\?xml [^?]*\?>\s*/, '');
  const stack: string[] = [];
  const tag = /<(\/?)([A-Za-z_][\w.-]*)((?:\s+[A-Za-z_][\w.-]*="[^"<]*")*)\s*(\/?)>|([^<]+)|(<)/g;
  let m: RegExpExecArray | null;
  let roots = 0;
  while ((m = tag.exec(body))) {
    if (m[6]) assert.fail(`a '<' that starts no tag at ${m.index}: ${body.slice(m.index, m.index + 40)}`);
    if (m[5] !== undefined) { assert.ok(stack.length > 0 || !m[5].trim(), 'text outside the root'); continue; }
    const [, close, name, , selfClose] = m;
    if (close) assert.equal(stack.pop(), name, `</${name}> closes the wrong element`);
    else if (!selfClose) { if (stack.length === 0) roots++; stack.push(name); } else if (stack.length === 0) roots++;
  }
  assert.deepEqual(stack, [], 'unclosed elements');
  assert.equal(roots, 1, 'one root element');
}
