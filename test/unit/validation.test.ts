// One failing and one passing case per diagnostic code, asserting the code,
// its severity and the exact text it is reported on.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { check, codes } from '../helpers';

const BASE = `
boot good { pcr 0 "fw" pcr 8 "xen" }
host a { memory 64 GiB tpm ecdsa-p256 boot good }
host b { memory 64 GiB tpm ecdsa-p256 boot good }
network net { hosts a, b }
vm web on a { memory 1 GiB vtpm process app { memory 64 MiB } process db { memory 64 MiB confidential } ipc db -> app socket }
`;

function only(text: string, code: string) {
  const found = check(text).filter((d) => d.code === code);
  assert.ok(found.length > 0, `expected ${code}, got ${JSON.stringify(check(text))}`);
  return found;
}
function none(text: string, code: string) {
  assert.deepEqual(check(text).filter((d) => d.code === code), []);
}

describe('VMS000 syntax', () => {
  test('fails', () => { const [d] = only('host a { cpus }', 'VMS000'); assert.equal(d.text, '}'); assert.equal(d.severity, 'error'); });
  test('passes', () => none('host a { cpus 1 }', 'VMS000'));
  test('a network without hosts', () => {
    const [d] = only('network n { bandwidth 1 Gbps }', 'VMS000');
    assert.deepEqual([d.message, d.text], ["network 'n' needs the hosts it joins: `hosts h1, h2`", 'n']);
  });
  test('an unterminated block comment, once, where it opens', () => {
    const found = check('host a { }\n/* note\nhost b { @ }').filter((d) => d.code === 'VMS000');
    assert.deepEqual(found.map((d) => [d.text, d.line, d.col]), [['/*', 2, 1]]);
  });
});

describe('VMS001 undeclared name', () => {
  test('fails with did-you-mean at the name', () => {
    const [d] = only(`${BASE} vm x on bb { }`, 'VMS001');
    assert.equal(d.text, 'bb');
    assert.match(d.message, /host 'bb' is not declared — did you mean 'b'\?/);
  });
  test('unknown process of a vm', () => {
    const [d] = only(`${BASE} checkpoint c of web { exclude dbb }`, 'VMS001');
    assert.equal(d.text, 'dbb');
    assert.match(d.message, /vm 'web' has no process 'dbb' — did you mean 'db'/);
  });
  test('passes', () => none(`${BASE} vm x on b { }`, 'VMS001'));
  test('references may point forward', () => none('vm x on later { }\nhost later { }', 'VMS001'));
});

describe('VMS016 wrong kind', () => {
  test('fails', () => { const [d] = only(`${BASE} vm x on web { }`, 'VMS016'); assert.equal(d.text, 'web'); assert.match(d.message, /'web' is a vm .* but a host is expected/); });
  test('a fork named where one vm is due', () => {
    const [d] = only(`${BASE} fork f of web { } scenario "s" { at 0 ms syscall f app open("/x") }`, 'VMS016');
    assert.match(d.message, /name one of its children, e.g. f\[1\]/);
  });
  test('passes', () => none(`${BASE} fork f of web { } scenario "s" { at 0 ms syscall f[1] app open("/x") }`, 'VMS016'));
  test("an attacker's vm named by a step or an expectation: the simulator runs nothing in it", () => {
    const found = check(`${BASE} attacker e { vm spy on a }
scenario "s" { at 1 ms syscall spy app open("/x") at 2 ms migrate spy to b expect spy is running }`).filter((d) => d.code === 'VMS016');
    assert.deepEqual(found.map((d) => [d.text, d.line, d.message]), Array(3).fill(['spy', 8, "'spy' is an attacker's vm (line 7), but a vm or restored vm is expected here"]));
  });
});

describe('VMS002 declared twice', () => {
  test('a name', () => { const ds = only(`${BASE} host a { }`, 'VMS002'); assert.equal(ds[0].text, 'a'); assert.equal(ds[0].line, 7); });
  test('a name across kinds', () => void only(`${BASE} monitor a for web { }`, 'VMS002'));
  test('a property', () => { const [d] = only('host h { cpus 1 cpus 2 }', 'VMS002'); assert.equal(d.text, 'cpus'); assert.equal(d.col, 17); });
  test('repeatable properties are fine', () => none(`${BASE} checkpoint c of web { exclude app exclude db ipc follow }`, 'VMS002'));
  test('a process in one vm, a rule in one monitor, a scenario title', () => {
    only('host h { } vm v on h { process p { } process p { } }', 'VMS002');
    only('host h { } vm v on h { } monitor m for v { rule r on open then allow rule r on read then allow }', 'VMS002');
    only('scenario "x" { } scenario "x" { }', 'VMS002');
  });
  test('a name declared in an imported file', () => {
    const found = check('import "lib.vmsec"\nhost a { }', { 'lib.vmsec': 'host a { }' }).filter((d) => d.code === 'VMS002');
    assert.equal(found.length, 1);
    assert.match(found[0].message, /lib\.vmsec:1/);
  });
  test('an attacker repeats actions on different targets', () => {
    const ok = `${BASE} certificate c1 for web by ca valid 1 s certificate c2 for web by ca valid 1 s authority ca { key ecdsa-p256 }
attacker e { tap net tap a <-> b tamper net 1% tamper a <-> b 2% drop net 1% drop a <-> b 1% replay net 1% replay b <-> a 1% vm s1 on a vm s2 on a steal c1 steal c2 }`;
    assert.deepEqual(check(ok).filter((d) => d.severity === 'error'), []);
  });
  test('the same action on the same target twice is VMS002 on the second, host pairs in either order', () => {
    const found = check(`${BASE} certificate c1 for web by ca valid 1 s authority ca { key ecdsa-p256 }
attacker e {
  tap net tamper a <-> b 1% steal c1 vm s on a
  tap net tamper b <-> a 5% steal c1 vm s on b
}`).filter((d) => d.code === 'VMS002');
    assert.deepEqual(found.map((d) => [d.severity, d.message, d.text, d.line, d.col]), [
      ['error', "'tap net' repeats 'tap net' (line 9): the same action on the same target; keep one", 'net', 10, 7],
      ['error', "'tamper b <-> a' repeats 'tamper a <-> b' (line 9): the same action on the same target; keep one", 'b <-> a', 10, 18],
      ['error', "'steal c1' repeats 'steal c1' (line 9): the same action on the same target; keep one", 'c1', 10, 35],
      ['error', "'s' is already declared as an attacker's vm (line 9); names must be unique — rename one", 's', 10, 41],
    ]);
  });
  test('a name listed twice where each entry counts once, and the same IPC edge twice', () => {
    const found = check(`${BASE} network m { hosts a, b, a }
vm v on a { process p { } process q { } ipc p -> q pipe ipc q -> p pipe ipc p -> q socket ipc p -> q pipe }
monitor mo for v, web, v { rule r on open, read, open then deny(1) }
checkpoint c of v { exclude p exclude q, p }
fork f of web { attest hosts against good, good }`).filter((d) => d.code === 'VMS002');
    assert.deepEqual(found.map((d) => [d.message, d.text, d.line]), [
      ["'a' is listed twice in network 'm' (first at line 7); keep one", 'a', 7],
      ["'ipc p -> q pipe' is given twice in this vm (first at line 8); keep one", 'ipc', 8],
      ["'v' is listed twice in the VMs of monitor 'mo' (first at line 9); keep one", 'v', 9],
      ["'open' is listed twice in the system calls of rule 'r' (first at line 9); keep one", 'open', 9],
      ["'p' is listed twice in the exclusions of checkpoint 'c' (first at line 10); keep one", 'p', 10],
      ["'good' is listed twice in the accepted boot chains (first at line 11); keep one", 'good', 11],
    ]);
    assert.ok(found.every((d) => d.severity === 'error'));
  });
  test('a second link between the same two hosts, in either order, also across an import; a network beside a link is fine', () => {
    const found = check('import "lib.vmsec"\nhost c { }\nlink b <-> a { bandwidth 10 Gbps }\nlink a <-> c { }\nnetwork n { hosts a, b }\nlink c <-> a { }',
      { 'lib.vmsec': 'host a { } host b { } link a <-> b { }' }).filter((d) => d.code === 'VMS002');
    assert.deepEqual(found.map((d) => [d.text, d.line, d.message]), [
      ['b <-> a', 3, "a link between 'b' and 'a' is already declared (lib.vmsec:1); keep one (pages take the fastest link, so the other would never be used)"],
      ['c <-> a', 6, "a link between 'c' and 'a' is already declared (line 4); keep one (pages take the fastest link, so the other would never be used)"],
    ]);
  });
  test('an attacker property that does not repeat stays VMS002', () => {
    const [d] = only('attacker e { tenant x tenant y }', 'VMS002');
    assert.equal(d.message, "'tenant' is given twice in this attacker (first at line 1); keep one");
    assert.equal(d.col, 23);
  });
  test('passes', () => none(BASE, 'VMS002'));
});

describe('VMS003 values and units', () => {
  const cases: [string, string, RegExp][] = [
    ['boot b { pcr 24 "x" }', '24', /PCR index must be between 0 and 23/],
    ['host h { memory 5 s }', '5 s', /needs a size .* is a duration/],
    ['host h { memory 5000 B }', '5000 B', /multiple of 4 KiB/],
    ['host h { tpm sha1 }', 'sha1', /ecdsa-p256 or rsa-2048/],
    ['host h { cpus 1.5 }', '1.5', /whole number/],
    ['host h { cpus 1.0 }', '1.0', /cpus must be a whole number; found '1.0'/],
    ['host h { } vm v on h { process p { } } scenario "s" { at 0 ms syscall v p read(4 KiB) }', '4 KiB', /a system call argument is a string, a whole number or an IPv4 address; '4 KiB' is a size/],
    ['host h { } vm v on h { process p { } } scenario "s" { at 0 ms syscall v p read(0.5) }', '0.5', /'0\.5' is not a whole number/],
    ['host h { } vm v on h { process p { } } scenario "s" { at 0 ms syscall v p connect(10.0.0.0/24, 443) }', '10.0.0.0/24', /'10\.0\.0\.0\/24' is a CIDR block — write the address alone/],
    ['host h { } vm v on h { workingset 150% }', '150%', /between 0% and 100%/],
    ['host h { } vm v on h { subnet 10.0.0.1 }', '10.0.0.1', /needs a CIDR/],
    ['host h { } vm v on h { subnet 10.0.0.0/33 }', '10.0.0.0/33', /at most \/32/],
    ['host h { } vm v on h { virtualization hyper }', 'hyper', /one of full, para, emulation, os-level/],
    ['link x <-> y { latency 2 GiB } host x { } host y { }', '2 GiB', /needs a duration/],
    ['host h { } vm v on h { } fork f of v { memory lazzy }', 'lazzy', /did you mean 'lazy'/],
    ['host h { } vm v on h { } fork f of v { integrity batched }', 'batched', /needs a batch size/],
    ['host h { } vm v on h { } monitor m for v { default killProc }', 'killProc', /allow or deny/],
    ['attacker e { tamper n 101% } network n { }', '101%', /between 0% and 100%/],
    ['host h { } vm v on h { } fork f of v { children 2 } scenario "s" { at 0 ms syscall f[3] p open() }', '3', /has 2 children; f\[3\] does not exist/],
    ['scenario "s" { at 5 GiB fork f }', '5 GiB', /step time needs a duration/],
    ['host h { } vm v on h { memory 1 GiB process p { memory 2 GiB } }', 'v', /need 2 GiB but the vm has 1 GiB/],
    ['host h { } vm v on h { process p { } } checkpoint c of v { to "../../x.ckpt" }', '"../../x.ckpt"', /checkpoint file '..\/..\/x.ckpt' cannot be written: \/x.ckpt is outside \/virtual\/ws/],
  ];
  for (const [text, at, msg] of cases) {
    test(`fails: ${at}`, () => {
      const found = only(text, 'VMS003').find((d) => d.text === at);
      assert.ok(found, `no VMS003 on '${at}': ${JSON.stringify(check(text))}`);
      assert.match(found.message, msg);
    });
  }
  test('passes', () => {
    none(`${BASE} link a <-> b { bandwidth 10 MiB/s latency 0 } scenario "s" { seed 7 at 0 fork f expect f ready within 1 s } fork f of web { children 2 on b attest hosts against good integrity batched 64 }`, 'VMS003');
  });
});

describe('VMS004 imports', () => {
  test('unreadable', () => { const [d] = only('import "nope.vmsec"', 'VMS004'); assert.equal(d.text, '"nope.vmsec"'); });
  test('a cycle, on the import line', () => {
    const found = check('import "b.vmsec"\nhost x { }', { 'b.vmsec': 'import "main.vmsec"' }).filter((d) => d.code === 'VMS004');
    assert.equal(found.length, 1);
    assert.equal(found[0].line, 1);
    assert.match(found[0].message, /cycle: main\.vmsec → b\.vmsec → main\.vmsec/);
  });
  test('a self import', () => void only('import "main.vmsec"', 'VMS004'));
  test('passes, transitively, relative to the importing file', () => {
    const found = check('import "lib/a.vmsec"\nvm v on h { }', { 'lib/a.vmsec': 'import "deeper/b.vmsec"', 'lib/deeper/b.vmsec': 'host h { }' });
    assert.deepEqual(found.map((d) => d.code), []);
  });
});

describe('VMS010 attestation without TPM or vTPM', () => {
  test('a target without TPM', () => {
    const [d] = only(`${BASE} host c { } network n2 { hosts a, c } fork f of web { on c attest hosts against good }`, 'VMS010');
    assert.equal(d.text, 'c');
  });
  test('attest vtpm without vtpm', () => {
    const [d] = only('host h { } vm v on h { } fork f of v { attest vtpm }', 'VMS010');
    assert.equal(d.text, 'attest');
  });
  test('passes', () => none(`${BASE} fork f of web { on b attest hosts against good attest vtpm }`, 'VMS010'));
});

describe('VMS011 unattested target', () => {
  test('fails', () => { const [d] = only(`${BASE} fork f of web { on b }`, 'VMS011'); assert.equal(d.text, 'b'); assert.equal(d.severity, 'warning'); assert.match(d.message, /attest hosts against good/); });
  test('local clones are not sent anywhere', () => none(`${BASE} fork f of web { children 2 }`, 'VMS011'));
  test('passes', () => none(`${BASE} fork f of web { on b attest hosts against good }`, 'VMS011'));
});

describe('VMS012 no integrity under tampering', () => {
  const atk = 'attacker e { tamper net 1% }';
  test('fails', () => { const [d] = only(`${BASE} ${atk} fork f of web { on b attest hosts against good }`, 'VMS012'); assert.equal(d.text, 'f'); });
  test('replay and drop count too', () => void only(`${BASE} attacker e { replay a <-> b 1% } fork f of web { on b integrity none }`, 'VMS012'));
  test('passes', () => none(`${BASE} ${atk} fork f of web { on b integrity per-page }`, 'VMS012'));
});

describe('VMS013 confidential memory in clear over a tap', () => {
  test('fails', () => void only(`${BASE} attacker e { tap net } fork f of web { on b }`, 'VMS013'));
  test('passes with encrypt', () => none(`${BASE} attacker e { tap net } fork f of web { on b encrypt }`, 'VMS013'));
  test('only the route pages take counts: the fastest of a link and a network joining the hosts', () => {
    const two = 'host a { } host b { } network n { hosts a, b } vm v on a { process p { confidential } } fork f of v { on b integrity none }';
    // The 10 Gbps link is faster than the network's default 1 Gbps: an attacker on the network sees nothing.
    none(`${two} link a <-> b { bandwidth 10 Gbps } attacker e { tap n tamper n }`, 'VMS013');
    none(`${two} link a <-> b { bandwidth 10 Gbps } attacker e { tap n tamper n }`, 'VMS012');
    const [d] = only(`${two} link a <-> b { bandwidth 100 Mbps } attacker e { tap n }`, 'VMS013');
    assert.match(d.message, /in clear over 'n', which attacker 'e' taps/);
  });
});

describe('VMS014 children exceed host memory', () => {
  test('fails', () => {
    const [d] = only('host a { } host b { memory 4 GiB } link a <-> b { } vm v on a { memory 2 GiB } fork f of v { children 6 on b, a }', 'VMS014');
    assert.equal(d.text, 'b');
    assert.match(d.message, /3 children of 2 GiB on host 'b' need 6 GiB, but it has 4 GiB/);
  });
  test('passes', () => none('host a { } host b { memory 4 GiB } link a <-> b { } vm v on a { memory 2 GiB } fork f of v { children 4 on b, a }', 'VMS014'));
});

describe('VMS015 unreachable target', () => {
  test('fails', () => { const [d] = only('host a { } host c { } vm v on a { } fork f of v { on c }', 'VMS015'); assert.equal(d.text, 'c'); });
  test('passes', () => none('host a { } host c { } link c <-> a { } vm v on a { } fork f of v { on c }', 'VMS015'));
});

describe('VMS020 shadowed rule', () => {
  test('fails', () => {
    const [d] = only('host h { } vm v on h { } monitor m for v { rule any on open, read then allow rule sh on open when fileEq(0, "/etc/shadow") then deny(13) }', 'VMS020');
    assert.equal(d.text, 'sh');
  });
  test('a prefix covers an exact file', () => void only('host h { } vm v on h { } monitor m for v { rule t on execve when filePrefix(0, "/tmp/") then killProc rule u on execve when fileEq(0, "/tmp/x") then deny(1) }', 'VMS020'));
  test('passes', () => none('host h { } vm v on h { } monitor m for v { rule sh on open when fileEq(0, "/etc/shadow") then deny(13) rule any on open then allow }', 'VMS020'));
});

describe('VMS001 an attack on a link that is not there', () => {
  test('a <-> b with no link or network joining them, and a host joined to itself', () => {
    const found = only('host a {} host b {} host c {} link a <-> c {} attacker e { tap a <-> b  tamper a <-> a 1%  drop c <-> a 1% }', 'VMS001');
    assert.deepEqual(found.map((d) => [d.text, d.message]), [
      ['a <-> b', "no link or network joins 'a' and 'b', so attacker 'e' would tap nothing; declare `link a <-> b { }` or name the network their traffic crosses"],
      ['a <-> a', "'a <-> a' joins a host to itself; tamper a link between two hosts, or a network"],
    ]);
  });
  test('passes when a network joins them', () => none('host a {} host b {} network n { hosts a, b } attacker e { tap a <-> b }', 'VMS001'));
});

describe('VMS021 a call Linux does not have', () => {
  test('a rule and a syscall step, with did-you-mean where one is close', () => {
    const found = only('host h { } vm v on h { process p { } } monitor m for v { rule r on open, frobnicate then deny(1) } scenario "s" { at 0 ms syscall v p conect(1.2.3.4) }', 'VMS021');
    assert.deepEqual(found.map((d) => [d.text, d.severity, d.message]), [
      ['frobnicate', 'warning', "'frobnicate' is not a Linux system call — no traced program makes it, and exported policies would hook nothing"],
      ['conect', 'warning', "'conect' is not a Linux system call; did you mean 'connect'? — a real VM never makes it"],
    ]);
  });
  test('passes: x86_64, i386 and generic names, and calls added since kernel 6.1', () => none('host h { } vm v on h { process p { } } monitor m for v { rule r on open, openat2, newfstatat, clone3, renameat2, socketcall, _llseek, cachestat, fchmodat2, mseal, listmount, setxattrat, file_getattr, uretprobe then deny(1) } scenario "s" { at 0 ms syscall v p execve("/bin/sh") }', 'VMS021'));
});

describe('VMS030 confidential process kept', () => {
  test('fails', () => { const [d] = only(`${BASE} checkpoint c of web { }`, 'VMS030'); assert.equal(d.text, 'c'); });
  test('passes', () => none(`${BASE} checkpoint c of web { exclude db ipc follow }`, 'VMS030'));
});

describe('VMS031 IPC with an excluded process', () => {
  test('fails', () => { const [d] = only(`${BASE} checkpoint c of web { exclude db }`, 'VMS031'); assert.equal(d.text, 'db'); assert.match(d.message, /socket IPC with kept process 'app'/); });
  test('passes with ipc follow', () => none(`${BASE} checkpoint c of web { exclude db ipc follow }`, 'VMS031'));
  test('one warning per excluded and kept pair, naming each channel between them', () => {
    const found = check(`host h { } vm v on h { process a { } process b { } ipc a -> b pipe ipc b -> a socket ipc a -> b shm }
checkpoint c of v { exclude a }`).filter((d) => d.code === 'VMS031');
    assert.deepEqual(found.map((d) => d.message), ["excluded process 'a' has pipe, socket and shm IPC with kept process 'b', whose buffers may hold its data; add `ipc follow` (or exclude 'b')"]);
  });
});

describe('VMS040 os-level rules', () => {
  test('vtpm on os-level', () => { const [d] = only('host h { } vm v on h { virtualization os-level vtpm }', 'VMS040'); assert.equal(d.text, 'vtpm'); });
  test('share across hosts', () => void only('host h { } host g { } vm v on h { virtualization os-level } vm w on g { virtualization os-level } share "/x" between v, w', 'VMS040'));
  test('share with a full vm', () => void only('host h { } vm v on h { virtualization os-level } vm w on h { } share "/x" between v, w', 'VMS040'));
  test('passes', () => none('host h { } vm v on h { virtualization os-level } vm w on h { virtualization os-level } share "/x" between v, w require certificate', 'VMS040'));
});

describe('VMS050 co-residency', () => {
  test('fails', () => { const [d] = only(`${BASE} attacker e { vm spy on a }`, 'VMS050'); assert.equal(d.text, 'a'); assert.equal(d.line, 6); });
  test('passes', () => none(`${BASE} attacker e { vm spy on b }`, 'VMS050'));
});

test('the flagship sample has no diagnostics at all', async () => {
  const { readFileSync } = await import('node:fs');
  const text = readFileSync(new URL('../../samples/trusted-fork.vmsec', import.meta.url), 'utf8');
  assert.deepEqual(codes(text), []);
});

describe('VMS003 checkpoint paths, judged as the writer judges them', async () => {
  const { mkdirSync, writeFileSync, symlinkSync } = await import('node:fs');
  const nodePath = await import('node:path');
  const { tempDir } = await import('../tmp');
  const { Workspace } = await import('../../server/src/model/workspace');
  const { validateFileSet } = await import('../../server/src/validation/validate');
  const ws = tempDir('ckpath-');
  const outside = tempDir('outside-');
  mkdirSync(nodePath.join(ws, 'out'));
  writeFileSync(nodePath.join(ws, 'notes.txt'), 'mine');
  writeFileSync(nodePath.join(ws, 'old.ckpt'), 'VMSECCK2 an earlier checkpoint');
  symlinkSync(outside, nodePath.join(ws, 'escape'));
  const main = nodePath.join(ws, 'main.vmsec');
  /** The VMS003 messages of a checkpoint with this `to`, validated against the real folder. */
  const problems = (to: string) => {
    const text = `host h { } vm v on h { } checkpoint c of v { to ${JSON.stringify(to)} }`;
    writeFileSync(main, text);
    const set = new Workspace({ read: (p) => ({ ok: true, text: readFileSync(p, 'utf8') }) }).fileSet(main)!;
    return validateFileSet(set, { workspaceRoot: ws }).filter((d) => d.code === 'VMS003')
      .map((d) => [text.slice(d.span.start, d.span.end), d.message]);
  };
  const { readFileSync } = await import('node:fs');
  test('inside the workspace, new or an earlier checkpoint: fine (`..dots` is a name, not `..`)', () => {
    assert.deepEqual(problems('..dots.ckpt'), []);
    assert.deepEqual(problems('new/deeper/c.ckpt'), []);
    assert.deepEqual(problems('old.ckpt'), []);
  });
  test('the scenario itself, or any file vmsec did not write', () => {
    assert.deepEqual(problems('main.vmsec'), [['"main.vmsec"', `checkpoint file 'main.vmsec' cannot be written: ${main} already exists and was not written by vmsec (it does not start with "VMSECCK"); vmsec never replaces a file it did not write`]]);
    assert.equal(problems('notes.txt').length, 1);
  });
  test('an existing folder, or a path ending in /', () => {
    assert.deepEqual(problems('out'), [['"out"', `checkpoint file 'out' cannot be written: ${nodePath.join(ws, 'out')} is an existing folder, not a file`]]);
    assert.deepEqual(problems('newdir/'), [['"newdir/"', `checkpoint file 'newdir/' cannot be written: ${nodePath.join(ws, 'newdir')}/ names a folder (it ends with a path separator), not a file`]]);
  });
  test('outside, by .. or through a symlinked folder', () => {
    const [[at, message]] = problems('escape/c.ckpt');
    assert.equal(at, '"escape/c.ckpt"');
    assert.match(message, /^checkpoint file 'escape\/c.ckpt' cannot be written: .* is outside .*; vmsec writes only inside it$/);
    assert.match(problems('../c.ckpt')[0][1], /is outside/);
  });
});

test('the benchmarks\' generated files are valid (the figures in docs/performance.md are for files without errors)', async () => {
  const { generate } = await import('../bench/generate');
  assert.deepEqual(check(generate(200)).filter((d) => d.severity === 'error').map((d) => `${d.line}: ${d.code} ${d.message}`), []);
});
