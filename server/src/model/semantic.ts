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
import { declIndex, type DeclIndex } from './decl-index';
import { appendTo } from './map-of-lists';

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
  /** Whether the fork names its hosts; without `on` its children go where the parent runs at fork time. */
  onDeclared: boolean;
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

/**
 * Model objects of one validation of many file sets (validate-files.ts: every
 * file of an import chain is the root of its own set, and the sets overlap).
 * A declaration's object is reused by the next set when everything it was
 * built from is the same (the same objects for the names it refers to), so
 * overlapping sets do not rebuild what they share. Never kept beyond that
 * validation: runs and the editor build their own models.
 */
export class ModelCache {
  private readonly objects = new WeakMap<object, unknown>();
  get<T>(decl: object): T | undefined { return this.objects.get(decl) as T | undefined; }
  set(decl: object, value: unknown): void { this.objects.set(decl, value); }
}

function sameItems<T>(a: readonly T[] | undefined, b: readonly T[] | undefined): boolean {
  if (a === b) return true;
  if (!a || !b || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function buildModel(files: readonly SourceFile[], ns: Namespace, cache?: ModelCache): SemanticModel {
  const m: SemanticModel = {
    boots: new Map(), hosts: new Map(), links: [], vms: new Map(), forks: new Map(), attackers: new Map(),
    linksByHost: new Map(), vmsByHost: new Map(), attacksByLink: new Map(),
    monitors: buildMonitors(files, ns),
    certificates: buildCertificates(files, ns),
    checkpoints: new Map(),
  };
  const networks = new Map<string, LinkModel>();
  const owned = <D extends A.Decl>(d: D & { name: A.Ident }) => ns.get(d.name.text)?.decl === d;
  // Each pass visits only the declarations of its kind, file by file (file order, then text order).
  const indexes = files.map((f) => declIndex(f.doc));
  const each = <D>(kind: (ix: DeclIndex) => readonly D[], fn: (path: string, d: D) => void) => {
    for (let i = 0; i < files.length; i++) {
      const list = kind(indexes[i]);
      for (let j = 0; j < list.length; j++) fn(files[i].path, list[j]);
    }
  };

  each((ix) => ix.boots, (path, d) => {
    if (!owned(d)) return;
    const hit = cache?.get<BootModel>(d);
    if (hit && hit.path === path) { m.boots.set(d.name.text, hit); return; }
    const boot: BootModel = {
      path, decl: d, name: d.name.text,
      pcrs: d.pcrs.filter((p) => within(p.index, LIMITS.pcr) !== undefined).map((p) => ({ index: p.index.value, measurements: p.measurements.map((x) => ('hex' in x ? { digest: x.hex } : { text: x.value })) })),
    };
    m.boots.set(d.name.text, boot);
    cache?.set(d, boot);
  });
  each((ix) => ix.hosts, (path, d) => {
    if (!owned(d)) return;
    const boot = m.boots.get(first(d.props, 'boot')?.value.text ?? '');
    const hit = cache?.get<HostModel>(d);
    if (hit && hit.path === path && hit.boot === boot) { m.hosts.set(d.name.text, hit); return; }
    const tpm = first(d.props, 'tpm')?.value.text;
    const cpus = num(first(d.props, 'cpus')?.value, LIMITS.hostCpus);
    const host: HostModel = {
      path, decl: d, name: d.name.text,
      cpus: cpus ?? 1,
      cpusDeclared: cpus !== undefined,
      memory: num(first(d.props, 'memory')?.value, LIMITS.hostMemory) ?? 64 * GiB,
      hypervisor: first(d.props, 'hypervisor')?.value.text,
      tpm: tpm === 'ecdsa-p256' || tpm === 'rsa-2048' ? tpm : undefined,
      boot,
      tenant: first(d.props, 'tenant')?.value.text,
    };
    m.hosts.set(d.name.text, host);
    cache?.set(d, host);
  });
  each((ix) => ix.links, (path, d) => {
    if (d.kind === 'network' && !owned(d)) return;
    const hosts = hostsOf(m, d.kind === 'link' ? [d.a, d.b] : d.hosts);
    const hit = cache?.get<LinkModel>(d);
    const link: LinkModel = hit && hit.path === path && sameItems(hit.hosts, hosts) ? hit : {
      path, decl: d, isNetwork: d.kind === 'network',
      name: d.kind === 'link' ? `${d.a.text}<->${d.b.text}` : d.name.text,
      hosts,
      bandwidth: num(first(d.props, 'bandwidth')?.value, LIMITS.bandwidth) ?? 1e9,
      latencyUs: num(first(d.props, 'latency')?.value, LIMITS.latency) ?? 100,
    };
    if (link !== hit) cache?.set(d, link);
    m.links.push(link);
    if (link.isNetwork) networks.set(link.name, link);
    for (const h of link.hosts) appendTo(m.linksByHost, h, link);
  });
  each((ix) => ix.vms, (path, d) => {
    if (!owned(d)) return;
    const host = m.hosts.get(d.host.text);
    if (!host) return;
    const hit = cache?.get<VmModel>(d);
    if (hit && hit.path === path && hit.host === host) { m.vms.set(hit.name, hit); appendTo(m.vmsByHost, host, hit); return; }
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
      processes: [],
      ipc: [],
    };
    for (const p of d.props) {
      if (p.key === 'process') vm.processes.push(processModel(p));
      else if (p.key === 'ipc') vm.ipc.push({ from: p.from.text, to: p.to.text, channel: p.channel.text, decl: p });
    }
    m.vms.set(vm.name, vm);
    appendTo(m.vmsByHost, host, vm);
    cache?.set(d, vm);
  });
  each((ix) => ix.forks, (path, d) => {
    if (!owned(d)) return;
    const parent = m.vms.get(d.parent.text);
    if (!parent) return;
    const on = first(d.props, 'on')?.value.map((h) => m.hosts.get(h.text)).filter((h): h is HostModel => !!h);
    const attest = first(d.props, 'attest hosts');
    const integ = first(d.props, 'integrity');
    const mode = integ?.mode.text;
    m.forks.set(d.name.text, {
      path, decl: d, name: d.name.text, parent,
      children: num(first(d.props, 'children')?.value, LIMITS.children) ?? 1,
      // Without `on`, clones stay on the parent's host.
      on: on && on.length ? on : [parent.host],
      onDeclared: !!first(d.props, 'on'),
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
  });
  each((ix) => ix.attackers, (path, d) => {
    if (!owned(d)) return;
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
    for (const attack of a.attacks) for (const l of attack.links) appendTo(m.attacksByLink, l, { attacker: a, attack });
  });
  for (const [k, c] of buildCheckpoints(files, ns, m.vms)) m.checkpoints.set(k, c);
  return m;
}

function processModel(p: A.ProcessDecl): ProcessModel {
  let memory: A.Quantity | undefined;
  let confidential = false;
  const files: string[] = [];
  for (const x of p.props) {
    if (x.key === 'memory') { if (!memory) memory = x.value; }
    else if (x.key === 'confidential') confidential = true;
    else if (x.key === 'file') files.push(x.value.value);
  }
  return { name: p.name.text, decl: p, memory: num(memory, LIMITS.processMemory) ?? 0, confidential, files };
}

/** The declared hosts among `names`, each once, in order of first mention. */
function hostsOf(m: SemanticModel, names: readonly A.Ident[]): HostModel[] {
  const out: HostModel[] = [];
  for (const n of names) {
    const h = m.hosts.get(n.text);
    if (h && !out.includes(h)) out.push(h);
  }
  return out;
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
/**
 * VMS014's rule, for the validator and for the simulator (a fork without `on`
 * whose parent migrated places its children on the new host): what `n`
 * children of `vm` need on `host` beyond what it has, memory first.
 */
export function childrenShortfalls(host: HostModel, n: number, vm: VmModel): { what: 'memory' | 'cpus'; need: number; has: number }[] {
  const out: { what: 'memory' | 'cpus'; need: number; has: number }[] = [];
  if (n * vm.memory > host.memory) out.push({ what: 'memory', need: n * vm.memory, has: host.memory });
  if (host.cpusDeclared && n * vm.vcpus > host.cpus) out.push({ what: 'cpus', need: n * vm.vcpus, has: host.cpus });
  return out;
}

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

/**
 * The link or network two hosts talk over: the fastest of those joining them
 * (the first declared of equally fast ones). The simulator sends over it, so
 * the validator warns about attackers on it only.
 */
export function routeBetween(m: SemanticModel, a: HostModel, b: HostModel): LinkModel | undefined {
  let best: LinkModel | undefined;
  for (const l of linksBetween(m, a, b)) if (!best || l.bandwidth > best.bandwidth) best = l;
  return best;
}

