// Writes valid .vmsec text of about N lines that mixes every construct. Each
// block of declarations uses its own names and refers back to the previous
// block, so resolution crosses the whole file.

export function generate(lines: number): string {
  const out: string[] = ['// generated for benchmarks'];
  for (let i = 0; out.length < lines; i++) {
    const prev = i === 0 ? 0 : i - 1;
    out.push(
      `boot chain${i} {`,
      `  pcr 0 "firmware-${i}"`,
      `  pcr 4 "grub-2.06" sha256:${(i % 16).toString(16).repeat(64)}`,
      `  pcr 8 "xen-4.17"`,
      `}`,
      `host src${i} { cpus 32 memory 128 GiB hypervisor xen tpm ecdsa-p256 boot chain${i} tenant t${i} }`,
      `host dst${i} { cpus 32 memory 128 GiB hypervisor xen tpm rsa-2048 boot chain${prev} }`,
      `link src${i} <-> dst${i} { bandwidth 10 Gbps latency 200 us }`,
      `network net${i} {`,
      `  hosts src${i}, dst${i}${i ? `, src${prev}` : ''}`,
      `  bandwidth 1 Gbps`,
      `}`,
      `vm vm${i} on src${i} {`,
      `  vcpus 4`,
      `  memory 1 GiB`,
      `  disk 8 GiB`,
      `  virtualization para`,
      `  vtpm`,
      `  subnet 10.${i % 250}.0.0/24`,
      `  workingset 12%`,
      `  process web { memory 256 MiB file "/var/www" }`,
      `  process db { memory 128 MiB confidential file "/var/db" }`,
      `  ipc db -> web socket`,
      `}`,
      `vm box${i}a on dst${i} { virtualization os-level memory 256 MiB }`,
      `vm box${i}b on dst${i} { virtualization os-level memory 256 MiB }`,
      `fork fork${i} of vm${i} {`,
      `  children 4`,
      `  on dst${i}`,
      `  multicast`,
      `  attest hosts against chain${i}${i ? `, chain${prev}` : ''}`,
      `  attest vtpm`,
      `  integrity batched 256`,
      `  encrypt`,
      `}`,
      `monitor mon${i} for vm${i} {`,
      `  mode concurrent`,
      `  buffer 1024 drop`,
      `  rule shadow on open, openat when fileEq(0, "/etc/shadow") then deny(13)`,
      `  rule tmp on execve when filePrefix(0, "/tmp/") and not process(web) then killProc`,
      `  rule net on connect when ip(203.0.113.0/24) or port(4444) then killProc, pause`,
      `  escalate 3 violations within 10 s then migrate to src${prev}`,
      `}`,
      `checkpoint ck${i} of vm${i} { exclude db ipc follow to "ck/${i}.ckpt" }`,
      `authority ca${i} { key ecdsa-p256 }`,
      `certificate cert${i} for box${i}a by ca${i} valid 1 h`,
      `share "/lib/${i}.so" between box${i}a, box${i}b require certificate`,
      `attacker eve${i} { tenant mallory tamper net${i} 2% steal cert${i} }`,
      `scenario "s${i}" {`,
      `  seed ${i}`,
      `  at 0 ms fork fork${i}`,
      `  at 1 s syscall fork${i}[1] web open("/etc/shadow")`,
      `  at 2 s checkpoint ck${i}`,
      `  expect attestation of dst${i} passes`,
      `  expect fork${i} ready within 1 s`,
      `  expect fork${i} pages rejected >= 0`,
      `  expect mon${i} denies == 1`,
      `  expect ck${i} excludes db, web`,
      `}`,
    );
  }
  return out.join('\n') + '\n';
}

/** A JSON document of about `bytes` bytes, shaped like configuration data. */
export function generateJson(bytes: number): string {
  const items: string[] = [];
  let size = 2;
  for (let i = 0; size < bytes; i++) {
    const item = JSON.stringify({
      name: `host${i}`, cpus: 32, memory: 137438953472, tpm: i % 2 ? 'ecdsa-p256' : 'rsa-2048', tenants: ['a', 'b', null],
      boot: { pcrs: [{ index: 0, text: `firmware-${i}` }, { index: 8, text: 'xen-4.17' }], trusted: true }, latency: 0.0002,
    }, null, 2);
    items.push(item);
    size += item.length + 2;
  }
  return `[\n${items.join(',\n')}\n]\n`;
}
