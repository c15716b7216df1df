// Hover: what a name is and its key facts (a host's PCR values computed from
// its boot chain, a VM's page count, a fork's placement), and for keywords
// what they mean, citing the paper idea behind them.
import type { Hover } from 'vscode-languageserver';
import type * as A from '../../../grammar/src/ast';
import { formatBytes, formatIp } from '../../../grammar/src/literals';
import { bootPcrs, initialPcrs } from '../sim/pcr';
import { chainPcrs } from '../model/attestation-policy';
import { childIp } from '../model/child-address';
import { excludedProcesses, outputPath } from '../model/checkpoint-plan';
import type { ForkModel, SemanticModel } from '../model/semantic';
import { attestationCoverage } from '../validation/attestation-coverage';
import { KIND_WORDS, Sym } from '../model/symbols';
import type { Analysis, Session } from './session';
import type { Reference } from '../model/references';
import { actionText, type MonitorModel } from '../model/semantic-monitors';
import { formatDuration } from '../model/limits';
import { symbolIn } from './navigation';
import type { Position } from '../model/line-index';
import { plural } from '../report/words';

export const KEYWORD_DOCS: Record<string, string> = {
  fork: 'A **fork plan** (SnowFlock, Lagar-Cavilla et al., EuroSys 2009): one call makes N stateful children of a VM on several hosts; memory is fetched lazily on first touch.',
  multicast: 'A page sent to one child is delivered to every sibling on the same network (SnowFlock\'s multicast distribution).',
  attest: '`attest hosts against B…`: before anything is sent, source and target attest each other with TPM quotes over their boot PCRs (Ma et al., 2013). `attest vtpm`: each child\'s new vTPM PCR 1-7 are checked against the parent\'s.',
  integrity: 'How pages are protected on the wire: `per-page` sends `Sign_AK(H(page)) || H(page) || page` (Ma et al.); `batched N` signs a Merkle root per N pages; `none` is plain SnowFlock.',
  encrypt: 'Payloads travel encrypted (AES-GCM): a tap sees no page contents, and a modified message fails its tag.',
  transient: 'Children are discarded when the scenario ends (SnowFlock clones are transient).',
  isolate: 'Children can only reach addresses in the parent\'s subnet.',
  lazy: 'Pages (or disk blocks) are fetched on first touch, after the child resumes.',
  eager: 'Every page (or allocated disk block) is copied before the child resumes.',
  monitor: 'A **monitor** (Indumathy, "Monitoring virtual machines in cloud"): an in-VM event recorder and an out-of-VM analyzer check system calls against rules.',
  concurrent: 'deny/allow rules are enforced in the VM at once; the rest are analysed out of the VM in parallel, after the buffer delay.',
  serial: 'Every call waits for the out-of-VM analyzer\'s verdict.',
  escalate: 'After N violations (deny, killProc, VM actions) within a window, apply a VM action: pause, terminate or migrate.',
  killProc: 'End the calling process.',
  policyChange: 'Make another monitor the active one for this VM.',
  checkpoint: 'A **privacy-aware checkpoint** (SPARC, Gofman et al., 2011): chosen processes\' memory, IPC buffers and files are sanitised out.',
  exclude: 'Processes whose pages and files are sanitised (zero-filled, never written in clear).',
  ipc: 'In a vm: an inter-process channel. In a checkpoint: `follow` spreads exclusion along IPC edges both ways; `warn` lets the validator warn (VMS031); `ignore` keeps peers.',
  share: 'Copy-on-write sharing of a file between OS-level VMs on one host (SCOW, Ansu et al., 2017); `require certificate` allows writes only with a valid certificate.',
  certificate: 'A SCOW certificate `E(PR_auth, [T || ID || PU])`: issued by an authority at time T (or its last `rotate`), valid for the given duration.',
  authority: 'A certificate authority that signs SCOW certificates.',
  attacker: 'Someone who taps, tampers with, drops or replays traffic on a network or link, runs co-resident VMs (Ristenpart et al., 2009) or steals certificate keys.',
  tap: 'Eavesdrop: record what crosses, and see confidential data sent in clear.',
  tamper: 'Modify that share of messages (real bytes are flipped).',
  replay: 'Send an earlier message again in place of that share of messages.',
  vtpm: 'A virtual TPM; a fork child gets its own, with PCR 1-7 copied from its new host\'s TPM.',
  tpm: 'A TPM 2.0 with an attestation key (`ecdsa-p256` or `rsa-2048`) and a SHA-256 PCR bank.',
  pcr: '`pcr N "text"` extends PCR N with SHA-256(text): `PCR := SHA-256(PCR || digest)`.',
  workingset: 'The share of the VM\'s pages a child touches after a fork.',
  confidential: 'The process\'s pages begin with a marker, so taps and checkpoint files can be scanned for it.',
  scenario: 'A run from time 0 with its own seed: steps at given times, then expectations that must hold.',
  expect: 'Something that must be true after the scenario ran (pass/fail with the value seen).',
  'os-level': 'OS-level virtualization (containers): VMs share the host kernel; no vTPM of their own; can share files copy-on-write.',
};

function pcrTable(values: Buffer[], indexes: number[]): string {
  return indexes.map((i) => `| ${i} | \`${values[i].toString('hex')}\` |`).join('\n');
}

/** One number format for every hover's page counts (VM, working set, process). */
const pageCount = (n: number) => `${n.toLocaleString('en-US')} ${n === 1 ? 'page' : 'pages'}`;

function facts(sym: Sym, model: SemanticModel): string {
  const title = `**${KIND_WORDS[sym.kind]}** \`${sym.name}\``;
  switch (sym.kind) {
    case 'host': {
      const h = model.hosts.get(sym.name);
      if (!h) return title;
      // Values not written are the defaults: say so, so a hover is not read as the file's text.
      const memoryDeclared = h.decl.kind === 'host' && h.decl.props.some((p) => p.key === 'memory');
      const lines = [`${title} — ${plural(h.cpus, 'cpu')}${h.cpusDeclared ? '' : ' (default)'}, ${formatBytes(h.memory)}${memoryDeclared ? '' : ' (default)'}${h.hypervisor ? `, ${h.hypervisor}` : ''}, ${h.tpm ? `TPM ${h.tpm}` : 'no TPM'}${h.tenant ? `, tenant ${h.tenant}` : ''}`];
      const vms = model.vmsByHost.get(h)?.map((v) => v.name) ?? [];
      if (vms.length) lines.push(`vms: ${vms.join(', ')}`);
      if (h.boot) {
        const pcrs = bootPcrs(h.boot);
        const init = initialPcrs();
        const changed = pcrs.map((_, i) => i).filter((i) => !pcrs[i].equals(init[i]));
        lines.push(`PCR values after booting \`${h.boot.name}\`:\n\n| PCR | SHA-256 |\n|---|---|\n${pcrTable(pcrs, changed)}`);
      }
      return lines.join('\n\n');
    }
    case 'boot': {
      const b = model.boots.get(sym.name);
      if (!b) return title;
      const pcrs = bootPcrs(b);
      return `${title} — measures PCR ${chainPcrs(b).join(', ')}\n\n| PCR | SHA-256 |\n|---|---|\n${pcrTable(pcrs, chainPcrs(b))}`;
    }
    case 'vm': {
      const v = model.vms.get(sym.name);
      if (!v) return title;
      const pages = Math.floor(v.memory / 4096);
      // Values not written are the defaults: say so, as the host hover does.
      const given = new Set<string>(v.decl.kind === 'vm' ? v.decl.props.map((p) => p.key) : []);
      const dflt = (key: string) => (given.has(key) ? '' : ' (default)');
      return [
        `${title} on host \`${v.host.name}\` — ${plural(v.vcpus, 'vcpu')}${dflt('vcpus')}, ${formatBytes(v.memory)} (${given.has('memory') ? '' : 'default; '}${pageCount(pages)})${v.disk ? `, disk ${formatBytes(v.disk)}` : ', no disk (default)'}, ${v.virtualization}${dflt('virtualization')}${v.vtpm ? ', vTPM' : ''}${v.tenant ? `, tenant ${v.tenant}` : ''}`,
        `subnet ${formatIp(v.subnet.ip)}/${v.subnet.prefix}${dflt('subnet')}, working set ${v.workingset}% (${given.has('workingset') ? '' : 'default; '}${pageCount(Math.round((pages * v.workingset) / 100))})`,
        v.processes.length ? `processes: ${v.processes.map((p) => `${p.name} (${formatBytes(p.memory)}${p.confidential ? ', confidential' : ''})`).join(', ')}` : '',
      ].filter(Boolean).join('\n\n');
    }
    case 'fork': {
      const f = model.forks.get(sym.name);
      if (!f) return title;
      // Only the first children are listed: a fork may have 100,000 of them.
      const shownCount = Math.min(8, f.children);
      const placed = Array.from({ length: shownCount }, (_, i) => f.on[i % f.on.length])
        .map((h, i) => `${f.name}[${i + 1}] on ${h.name} (${formatIp(childIp(f.parent.subnet, i + 1))})`);
      const shown = f.children > shownCount ? [...placed, `… ${f.children - shownCount} more`] : placed;
      return [
        `${title} of \`${f.parent.name}\` — ${f.children} ${f.children === 1 ? 'child' : 'children'}, memory ${f.memory}, disk ${f.disk}, integrity ${f.integrity.mode}${f.integrity.mode === 'batched' ? ` ${f.integrity.batch}` : ''}`,
        `attestation: ${f.attestHosts ? `hosts against ${f.attestHosts.map((b) => b.name).join(', ')}` : 'none'}${f.attestVtpm ? ', vTPM' : ''}; ${[f.multicast && 'multicast', f.encrypt && 'encrypted', f.transient && 'transient', f.isolate && 'isolated'].filter(Boolean).join(', ') || 'unicast, in clear'}`,
        coverageLine(f),
        shown.join('  \n'),
      ].filter(Boolean).join('\n\n');
    }
    case 'network': {
      const l = model.links.find((x) => x.isNetwork && x.name === sym.name);
      return l ? `${title} — ${l.hosts.map((h) => h.name).join(', ')}; ${l.bandwidth / 1e9} Gbps, ${l.latencyUs} us` : title;
    }
    case 'process': {
      const v = sym.parent && model.vms.get(sym.parent.name);
      const p = v?.processes.find((x) => x.name === sym.name);
      return p ? `${title} of vm \`${v!.name}\` — ${formatBytes(p.memory)} (${pageCount(Math.ceil(p.memory / 4096))})${p.confidential ? ', **confidential**' : ''}${p.files.length ? `; files ${p.files.join(', ')}` : ''}` : title;
    }
    case 'checkpoint': {
      const d = sym.decl as A.CheckpointDecl;
      const v = model.vms.get(d.vm.text);
      const ex = v ? [...excludedProcesses(v, d)] : [];
      return `${title} of vm \`${d.vm.text}\` → \`${outputPath(d)}\`; leaves out: ${ex.join(', ') || 'nothing'}`;
    }
    case 'monitor': return monitorFacts(title, model.monitors.get(sym.name));
    case 'authority': {
      const au = model.certificates.authorities.get(sym.name);
      if (!au) return title;
      const issued = [...model.certificates.certificates.values()].filter((c) => c.authority === au);
      return [`${title} — key ${au.key}${au.decl.props.some((p) => p.key === 'key') ? '' : ' (default)'}`,
        issued.length ? `certificates: ${issued.map((c) => `${c.name} (for ${c.subject}, valid ${formatDuration(c.validUs)})`).join(', ')}` : 'issues no certificate'].join('\n\n');
    }
    case 'certificate': {
      const c = model.certificates.certificates.get(sym.name);
      return c ? `${title} for vm \`${c.subject}\` by authority \`${c.authority.name}\` (${c.authority.key}) — valid ${formatDuration(c.validUs)} from its issue (at 0 s, or at its last \`rotate\`)` : title;
    }
    case 'attacker': {
      const a = model.attackers.get(sym.name);
      return a ? `${title}${a.tenant ? ` (tenant ${a.tenant})` : ''} — ${a.attacks.map((x) => `${x.kind} ${x.links.map((l) => l.name).join('/')}${x.kind === 'tap' ? '' : ` ${x.percent}%`}`).concat(a.vms.map((v) => `vm ${v.name} on ${v.host.name}`), a.steals.map((c) => `steals ${c}`)).join('; ')}` : title;
    }
    default:
      return title;
  }
}

/** A monitor's key properties: mode, buffer, VMs, rules, default (marked when not written), escalation. */
function monitorFacts(title: string, m: MonitorModel | undefined): string {
  if (!m) return title;
  const given = new Set<string>(m.decl.props.map((p) => p.key));
  const dflt = (key: string) => (given.has(key) ? '' : ' (default)');
  return [
    `${title} for ${m.vms.map((v) => `\`${v}\``).join(', ') || 'no vm'} — mode ${m.mode}${dflt('mode')}${bufferText(m)}`,
    `${plural(m.rules.length, 'rule')}${m.rules.length ? ` (${m.rules.slice(0, 8).map((r) => r.name).join(', ')}${m.rules.length > 8 ? ', …' : ''})` : ''}; default ${actionText(m.default)}${m.defaultDeclared ? '' : ' (default)'}`,
    m.escalate ? `escalates to ${actionText(m.escalate.action)} after ${plural(m.escalate.count, 'violation')} within ${m.escalate.windowText}` : '',
  ].filter(Boolean).join('\n\n');
}

/**
 * The buffer as it acts: in serial mode every call waits for its verdict and none is dropped
 * (LANGUAGE.md §3 Monitors), so a buffer there does nothing and is not listed as if it did.
 */
function bufferText(m: MonitorModel): string {
  const buffer = m.decl.props.find((p): p is Extract<A.MonProp, { key: 'buffer' }> => p.key === 'buffer');
  if (m.mode === 'serial') {
    return `: each call waits for its verdict, none is dropped${buffer ? ` (\`buffer ${m.buffer}${buffer.policy ? ` ${m.policy}` : ''}\` has no effect)` : ''}`;
  }
  return `, buffer ${m.buffer}${buffer ? '' : ' (default)'}, ${m.policy}${buffer?.policy ? '' : ' (default)'} when full`;
}

/** `process(P)` in a monitor for several VMs names P in each VM that has one: every such P, and the VMs without one. */
function watchedProcessFacts(a: Analysis, ref: Reference): string {
  const procs = a.resolved.refs.filter((r) => r.ident === ref.ident && r.target).map((r) => r.target!);
  const model = a.resolved.model;
  const lines = procs.map((s) => facts(s, model));
  const without = (ref.watched ?? []).filter((v) => !procs.some((p) => p.parent?.name === v.name)).map((v) => `\`${v.name}\``);
  if (without.length) lines.push(`no process \`${ref.ident.text}\` in vm ${without.join(', ')}: the condition is false there`);
  return lines.join('\n\n---\n\n');
}

/** Which PCRs the fork's attestation checks, and what the attested hosts measure beyond them (VMS017). */
function coverageLine(f: ForkModel): string {
  const cov = attestationCoverage(f);
  if (!cov) return '';
  const gaps = cov.hosts.filter((h) => h.uncovered.length).map((h) => `PCR ${h.uncovered.join(', ')} of host ${h.host.name}`);
  return `attestation covers PCR ${cov.covered.join(', ')}${gaps.length ? `; not covered: ${gaps.join('; ')}` : '; every PCR the attested hosts measure is covered'}`;
}

function wordAt(text: string, at: number): { word: string; start: number; end: number } | undefined {
  // Clamped, and a position outside the text is no word character: the scan stays inside the text.
  const offset = Math.min(Math.max(0, at), text.length);
  const isWord = (i: number) => i >= 0 && i < text.length && /[A-Za-z0-9_-]/.test(text[i]);
  let s = offset;
  let e = offset;
  while (isWord(s - 1)) s--;
  while (isWord(e)) e++;
  return s < e ? { word: text.slice(s, e), start: s, end: e } : undefined;
}

/** Hover at a position of the document's current text, answered from the last finished analysis (see Session.snapshot). */
export function hover(session: Session, path: string, pos: Position): Hover | undefined {
  const snap = session.snapshot(path);
  if (!snap) return undefined;
  const offset = snap.lines.offset(pos);
  const range = (s: { start: number; end: number }) => ({ start: snap.lines.position(s.start), end: snap.lines.position(s.end) });
  // Where the text changed since the analysis, only keywords are known.
  const old = snap.map.toOld(offset);
  const hit = old === undefined ? undefined : symbolIn(snap.analysis, old);
  const span = hit && snap.map.spanToNew(hit.ref ? hit.ref.ident.span : hit.sym.span);
  if (hit && span) {
    const value = hit.ref?.watched && hit.ref.watched.length > 1 ? watchedProcessFacts(snap.analysis, hit.ref) : facts(hit.sym, snap.analysis.resolved.model);
    return { contents: { kind: 'markdown', value }, range: range(span) };
  }
  const w = wordAt(snap.text, offset);
  const doc = w && KEYWORD_DOCS[w.word];
  return doc ? { contents: { kind: 'markdown', value: doc }, range: range(w) } : undefined;
}
