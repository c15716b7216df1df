// The meaning of a file set (LANGUAGE.md §3): declarations with their
// defaults filled in and references turned into objects. The validator's
// topology checks and the simulator read this, never the raw AST. Names that
// do not resolve are left out here; the validator reports them (VMS001).
import type * as A from '../../../grammar/src/ast';
import type { SourceFile } from './source-file';
import { Namespace } from './symbols';
import { Limit, LIMITS, PAGE, within } from './limits';
import { buildMonitors, type MonitorModel } from './semantic-monitors';
import { buildCertificates, type CertificatesModel } from './semantic-certificates';
import { buildCheckpoints, type CheckpointModel } from './semantic-checkpoints';

const GiB = 1024 ** 3;

export interface Located { path: string; decl: A.Decl }

export interface BootModel extends Located { name: string; pcrs: { index: number; measurements: ({ text: string } | { digest: string })[] }[] }
export interface HostModel extends Located {
  name: string; cpus: number; memory: number; hypervisor?: string;
  /** Whether `cpus` is written (VMS018 compares vcpus only then). */
  cpusDeclared: boolean;
  tpm?: 'ecdsa-p256' | 'rsa-2048'; boot?: BootModel; tenant?: string;
}
export interface LinkModel { path: string; decl: A.LinkDecl | A.NetworkDecl; name: string; hosts: HostModel[]; bandwidth: number; latencyUs: number; isNetwork: boolean }
export interface ProcessModel { name: string; memory: number; confidential: boolean; files: string[]; decl: A.ProcessDecl }
export interface IpcModel { from: string; to: string; channel: string; decl: A.IpcDecl }
export interface VmModel extends Located {
  name: string; host: HostModel; vcpus: number; memory: number; disk: number;
  virtualization: 'full' | 'para' | 'emulation' | 'os-level'; vtpm: boolean; tenant?: string;
  subnet: { ip: number; prefix: number }; workingset: number;
  processes: ProcessModel[]; ipc: IpcModel[];
}
export type IntegrityMode = { mode: 'none' } | { mode: 'per-page' } | { mode: 'batched'; batch: number };
export interface ForkModel extends Located {
  name: string; parent: VmModel; children: number; on: HostModel[];
  memory: 'lazy' | 'eager'; disk: 'lazy' | 'eager'; multicast: boolean;
  attestHosts?: BootModel[]; attestVtpm: boolean; integrity: IntegrityMode;
  encrypt: boolean; transient: boolean; isolate: boolean;
}
export type AttackKind = 'tap' | 'tamper' | 'drop' | 'replay';
export interface AttackModel { kind: AttackKind; links: LinkModel[]; percent: number; prop: A.AtkProp }
export interface AttackerModel extends Located {
  name: string; tenant?: string; attacks: AttackModel[];
  vms: { name: string; host: HostModel; prop: A.AtkProp }[]; steals: string[];
}
export interface SemanticModel {
  boots: Map<string, BootModel>;
  hosts: Map<string, HostModel>;
  links: LinkModel[];
  vms: Map<string, VmModel>;
  forks: Map<string, ForkModel>;
  attackers: Map<string, AttackerModel>;
  monitors: Map<string, MonitorModel>;
  /** Authorities, certificates and shares. */
  certificates: CertificatesModel;
  /** Checkpoints, their VM resolved (built once the VMs are). */
  checkpoints: Map<string, CheckpointModel>;
  /** Indexes, so topology questions cost no scan of the whole file set. */
  linksByHost: Map<HostModel, LinkModel[]>;
  vmsByHost: Map<HostModel, VmModel[]>;
  attacksByLink: Map<LinkModel, { attacker: AttackerModel; attack: AttackModel }[]>;
}

function first<P extends { key: string }, K extends P['key']>(props: readonly P[], key: K): Extract<P, { key: K }> | undefined {
  for (const p of props) if (p.key === key) return p as Extract<P, { key: K }>;
  return undefined;
}
/**
 * A value if it is present and within its documented limit; else undefined,
 * so the default applies. The validator reports the value (VMS003), and
 * nothing here grows with an out-of-range number.
 */
function num(q: A.Quantity | undefined, limit: Limit): number | undefined {
  return within(q, limit);
}

export function buildModel(files: readonly SourceFile[], ns: Namespace): SemanticModel {
  const m: SemanticModel = {
    boots: new Map(), hosts: new Map(), links: [], vms: new Map(), forks: new Map(), attackers: new Map(),
    linksByHost: new Map(), vmsByHost: new Map(), attacksByLink: new Map(),
    monitors: buildMonitors(files, ns),
    certificates: buildCertificates(files, ns),
    checkpoints: new Map(),
  };
  const networks = new Map<string, LinkModel>();
  const owned = <D extends A.Decl>(d: D & { name: A.Ident }) => ns.get(d.name.text)?.decl === d;
  const decls = files.flatMap((f) => f.doc.decls.map((decl) => ({ path: f.path, decl })));

  for (const { path, decl: d } of decls) {
    if (d.kind !== 'boot' || !owned(d)) continue;
    m.boots.set(d.name.text, {
      path, decl: d, name: d.name.text,
      pcrs: d.pcrs.filter((p) => within(p.index, LIMITS.pcr) !== undefined).map((p) => ({ index: p.index.value, measurements: p.measurements.map((x) => ('hex' in x ? { digest: x.hex } : { text: x.value })) })),
    });
  }
  for (const { path, decl: d } of decls) {
    if (d.kind !== 'host' || !owned(d)) continue;
    const tpm = first(d.props, 'tpm')?.value.text;
    m.hosts.set(d.name.text, {
      path, decl: d, name: d.name.text,
      cpus: num(first(d.props, 'cpus')?.value, LIMITS.hostCpus) ?? 1,
      cpusDeclared: num(first(d.props, 'cpus')?.value, LIMITS.hostCpus) !== undefined,
      memory: num(first(d.props, 'memory')?.value, LIMITS.hostMemory) ?? 64 * GiB,
      hypervisor: first(d.props, 'hypervisor')?.value.text,
      tpm: tpm === 'ecdsa-p256' || tpm === 'rsa-2048' ? tpm : undefined,
      boot: m.boots.get(first(d.props, 'boot')?.value.text ?? ''),
      tenant: first(d.props, 'tenant')?.value.text,
    });
  }
  for (const { path, decl: d } of decls) {
    if (d.kind !== 'link' && d.kind !== 'network') continue;
    if (d.kind === 'network' && !owned(d)) continue;
    const names = d.kind === 'link' ? [d.a, d.b] : d.hosts;
    const link: LinkModel = {
      path, decl: d, isNetwork: d.kind === 'network',
      name: d.kind === 'link' ? `${d.a.text}<->${d.b.text}` : d.name.text,
      hosts: [...new Set(names.map((n) => m.hosts.get(n.text)).filter((h): h is HostModel => !!h))],
      bandwidth: num(first(d.props, 'bandwidth')?.value, LIMITS.bandwidth) ?? 1e9,
      latencyUs: num(first(d.props, 'latency')?.value, LIMITS.latency) ?? 100,
    };
    m.links.push(link);
    if (link.isNetwork) networks.set(link.name, link);
    for (const h of link.hosts) push(m.linksByHost, h, link);
  }
  for (const { path, decl: d } of decls) {
    if (d.kind !== 'vm' || !owned(d)) continue;
    const host = m.hosts.get(d.host.text);
    if (!host) continue;
    const virt = first(d.props, 'virtualization')?.value.text;
    const subnet = first(d.props, 'subnet')?.value;
    const vm: VmModel = {
      path, decl: d, name: d.name.text, host,
      vcpus: num(first(d.props, 'vcpus')?.value, LIMITS.vmVcpus) ?? 1,
      memory: num(first(d.props, 'memory')?.value, LIMITS.vmMemory) ?? GiB,
      disk: num(first(d.props, 'disk')?.value, LIMITS.vmDisk) ?? 0,
      virtualization: virt === 'para' || virt === 'emulation' || virt === 'os-level' ? virt : 'full',
      vtpm: !!first(d.props, 'vtpm'),
      tenant: first(d.props, 'tenant')?.value.text,
      subnet: subnet && subnet.prefix !== undefined && Number.isFinite(subnet.ip) ? { ip: subnet.ip, prefix: subnet.prefix } : { ip: 0x0a000000, prefix: 24 },
      workingset: num(first(d.props, 'workingset')?.value, LIMITS.workingset) ?? 10,
      processes: d.props.filter((p): p is A.ProcessDecl => p.key === 'process').map((p) => ({
        name: p.name.text, decl: p,
        memory: num(first(p.props, 'memory')?.value, LIMITS.processMemory) ?? 0,
        confidential: !!first(p.props, 'confidential'),
        files: p.props.flatMap((x) => (x.key === 'file' ? [x.value.value] : [])),
      })),
      ipc: d.props.filter((p): p is A.IpcDecl => p.key === 'ipc').map((p) => ({ from: p.from.text, to: p.to.text, channel: p.channel.text, decl: p })),
    };
    m.vms.set(vm.name, vm);
    push(m.vmsByHost, host, vm);
  }
  for (const { path, decl: d } of decls) {
    if (d.kind !== 'fork' || !owned(d)) continue;
    const parent = m.vms.get(d.parent.text);
    if (!parent) continue;
    const on = first(d.props, 'on')?.value.map((h) => m.hosts.get(h.text)).filter((h): h is HostModel => !!h);
    const attest = first(d.props, 'attest hosts');
    const integ = first(d.props, 'integrity');
    const mode = integ?.mode.text;
    m.forks.set(d.name.text, {
      path, decl: d, name: d.name.text, parent,
      children: num(first(d.props, 'children')?.value, LIMITS.children) ?? 1,
      // Without `on`, clones stay on the parent's host.
      on: on && on.length ? on : [parent.host],
      memory: first(d.props, 'memory')?.value.text === 'eager' ? 'eager' : 'lazy',
      disk: first(d.props, 'disk')?.value.text === 'eager' ? 'eager' : 'lazy',
      multicast: !!first(d.props, 'multicast'),
      attestHosts: attest ? attest.value.map((b) => m.boots.get(b.text)).filter((b): b is BootModel => !!b) : undefined,
      attestVtpm: !!first(d.props, 'attest vtpm'),
      integrity: mode === 'per-page' ? { mode: 'per-page' }
        : mode === 'batched' ? { mode: 'batched', batch: num(integ?.batch, LIMITS.batch) ?? 2 }
          : { mode: 'none' },
      encrypt: !!first(d.props, 'encrypt'),
      transient: !!first(d.props, 'transient'),
      isolate: !!first(d.props, 'isolate'),
    });
  }
  for (const { path, decl: d } of decls) {
    if (d.kind !== 'attacker' || !owned(d)) continue;
    const a: AttackerModel = { path, decl: d, name: d.name.text, tenant: first(d.props, 'tenant')?.value.text, attacks: [], vms: [], steals: [] };
    for (const p of d.props) {
      if (p.key === 'tap') a.attacks.push({ kind: 'tap', links: targetLinks(m, networks, p.value), percent: 100, prop: p });
      else if (p.key === 'tamper' || p.key === 'drop' || p.key === 'replay') {
        a.attacks.push({ kind: p.key, links: targetLinks(m, networks, p.target), percent: num(p.share, LIMITS.attackShare) ?? 0, prop: p });
      } else if (p.key === 'vm') {
        const host = m.hosts.get(p.host.text);
        if (host) a.vms.push({ name: p.name.text, host, prop: p });
      } else if (p.key === 'steal') a.steals.push(p.value.text);
    }
    m.attackers.set(a.name, a);
    for (const attack of a.attacks) for (const l of attack.links) push(m.attacksByLink, l, { attacker: a, attack });
  }
  for (const [k, c] of buildCheckpoints(files, ns, m.vms)) m.checkpoints.set(k, c);
  return m;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value); else map.set(key, [value]);
}

/** What an attacker's target names: a network, or whatever joins two hosts. */
function targetLinks(m: SemanticModel, networks: Map<string, LinkModel>, t: A.Target): LinkModel[] {
  if (!t.b) { const n = networks.get(t.a.text); return n ? [n] : []; }
  const a = m.hosts.get(t.a.text);
  const b = m.hosts.get(t.b.text);
  return a && b ? linksBetween(m, a, b) : [];
}

/** Page-map entries one child of this VM holds in the simulator: memory pages and disk blocks. */
export function forkPagesPerChild(vm: VmModel): number {
  return Math.ceil(vm.memory / PAGE) + Math.ceil(vm.disk / PAGE);
}

/** How many children land on each host, round-robin over `on`: counted, not listed per child. */
export function childrenPerHost(f: ForkModel): Map<HostModel, number> {
  const out = new Map<HostModel, number>();
  const n = f.on.length;
  const base = Math.floor(f.children / n);
  const extra = f.children % n;
  f.on.forEach((h, i) => {
    const k = base + (i < extra ? 1 : 0);
    if (k > 0) out.set(h, (out.get(h) ?? 0) + k);
  });
  return out;
}

/** The hosts each child of a fork is placed on, round-robin (index 0 = child 1). */
export function placement(f: ForkModel): HostModel[] {
  const out: HostModel[] = [];
  for (let i = 0; i < f.children; i++) out.push(f.on[i % f.on.length]);
  return out;
}

/** The links and networks joining two hosts. */
export function linksBetween(m: SemanticModel, a: HostModel, b: HostModel): LinkModel[] {
  return (m.linksByHost.get(a) ?? []).filter((l) => l.hosts.includes(b));
}

