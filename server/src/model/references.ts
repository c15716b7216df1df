// Every place a file refers to a name, with the kinds acceptable there and
// what it resolves to. One walk serves VMS001/VMS016, go to definition, find
// references and rename.
import type * as A from '../../../grammar/src/ast';
import type { SourceFile } from './source-file';
import { Namespace, Sym, SymbolKind } from './symbols';
import { EXPECTED_KINDS as K } from './name-kinds';

export interface Reference {
  path: string;
  ident: A.Ident;
  /** Kinds acceptable here, in the order they are named in messages. */
  expected: readonly SymbolKind[];
  /** What the name resolves to, when it is of an acceptable kind. */
  target?: Sym;
  /** A declaration of that name but of another kind. */
  wrongKind?: Sym;
  /** For process names: the VM whose processes are searched. */
  owner?: Sym;
  /** For `process(P)` in a monitor: every VM the monitor watches. The name
   *  means P in each of them that has one, so it is one reference per such
   *  process (same ident), and a rename of one alone would change the rule. */
  watched?: Sym[];
  /** A fork named without a child index where one VM is due. */
  needsIndex?: boolean;
}

export function collectReferences(file: SourceFile, ns: Namespace): Reference[] {
  const out: Reference[] = [];
  const path = file.path;

  const ref = (ident: A.Ident | undefined, expected: readonly SymbolKind[], local?: Map<string, Sym>): Reference | undefined => {
    if (!ident || !ident.text) return undefined;
    const found = local?.get(ident.text) ?? ns.get(ident.text);
    const r: Reference = { path, ident, expected };
    if (found && expected.includes(found.kind)) r.target = found;
    else if (found) r.wrongKind = found;
    out.push(r);
    return r;
  };
  /** A process of a VM (or, for a fork, of its parent). */
  const proc = (ident: A.Ident | undefined, owner: Sym | undefined): void => {
    if (!ident || !ident.text || !owner) return;
    const vm = vmOf(owner, ns);
    if (!vm) return;
    const target = ns.processesOf(vm.name)?.get(ident.text);
    out.push({ path, ident, expected: K.process, target, owner: vm });
  };
  const vmRef = (r: A.VmRef, local: Map<string, Sym>): Sym | undefined => {
    if (r.index) return ref(r.name, K.fork)?.target;
    const res = ref(r.name, K.vmRef, local);
    if (res?.wrongKind?.kind === 'fork') { res.needsIndex = true; return res.wrongKind; }
    return res?.target;
  };

  for (const d of file.doc.decls) {
    switch (d.kind) {
      case 'host':
        for (const p of d.props) if (p.key === 'boot') ref(p.value, K.hostBoot);
        break;
      case 'link': ref(d.a, K.host); ref(d.b, K.host); break;
      case 'network': for (const h of d.hosts) ref(h, K.host); break;
      case 'vm': {
        ref(d.host, K.host);
        const self = ns.get(d.name.text);
        for (const p of d.props) if (p.key === 'ipc') { proc(p.from, self); proc(p.to, self); }
        break;
      }
      case 'fork': {
        ref(d.parent, K.vm);
        for (const p of d.props) {
          if (p.key === 'on') for (const h of p.value) ref(h, K.host);
          if (p.key === 'attest hosts') for (const b of p.value) ref(b, K.acceptedChain);
        }
        break;
      }
      case 'monitor': {
        const vms = d.vms.map((v) => ref(v, K.vm)?.target).filter((s): s is Sym => !!s);
        for (const p of d.props) {
          const actions = p.key === 'rule' ? p.actions : p.key === 'default' || p.key === 'escalate' ? [p.action] : [];
          for (const a of actions) {
            if (a?.kind === 'policyChange') ref(a.monitor, K.monitor);
            if (a?.kind === 'migrate' && a.to) ref(a.to, K.host);
          }
          if (p.key === 'rule' && p.when) {
            forEachPredicate(p.when, (c) => {
              if (c.kind !== 'process' || !c.name.text) return;
              const targets = new Set<Sym>();
              for (const v of vms) { const t = ns.processesOf(v.name)?.get(c.name.text); if (t) targets.add(t); }
              if (!targets.size) { out.push({ path, ident: c.name, expected: K.process, owner: vms[0], watched: vms }); return; }
              for (const t of targets) out.push({ path, ident: c.name, expected: K.process, target: t, owner: t.parent, watched: vms });
            });
          }
        }
        break;
      }
      case 'checkpoint': {
        const vm = ref(d.vm, K.vm)?.target;
        for (const p of d.props) if (p.key === 'exclude') for (const n of p.value) proc(n, vm);
        break;
      }
      case 'certificate': ref(d.subject, K.vm); ref(d.authority, K.authority); break;
      case 'share': for (const v of d.vms) ref(v, K.vm); break;
      case 'attacker':
        for (const p of d.props) {
          if (p.key === 'tap') target(p.value);
          else if (p.key === 'tamper' || p.key === 'drop' || p.key === 'replay') target(p.target);
          else if (p.key === 'vm') ref(p.host, K.host);
          else if (p.key === 'steal') ref(p.value, K.certificate);
        }
        break;
      case 'scenario': scenario(d); break;
      default: break;
    }
  }
  return out;

  function target(t: A.Target): void {
    if (t.b) { ref(t.a, K.host); ref(t.b, K.host); } else ref(t.a, K.network);
  }

  function scenario(d: A.ScenarioDecl): void {
    // `restore … as NAME` declares a VM for the rest of the scenario.
    const local = new Map<string, Sym>();
    for (const item of d.items) {
      if (item.key === 'step') {
        const b = item.body;
        switch (b.kind) {
          case 'fork': ref(b.fork, K.fork); break;
          case 'syscall': { const owner = vmRef(b.vm, local); proc(b.process, owner); break; }
          case 'checkpoint': ref(b.checkpoint, K.checkpoint); break;
          case 'restore': {
            const ck = ref(b.checkpoint, K.checkpoint)?.target;
            ref(b.host, K.host);
            if (b.as.text) {
              local.set(b.as.text, { name: b.as.text, kind: 'restored-vm', path, span: b.as.span, declSpan: item.span, decl: item, parent: ck });
            }
            break;
          }
          case 'write': vmRef(b.vm, local); break;
          case 'migrate': vmRef(b.vm, local); ref(b.host, K.host); break;
          case 'rotate': ref(b.certificate, K.certificate); break;
          case 'present': ref(b.certificate, K.certificate); break;
        }
      } else if (item.key === 'expect') {
        const b = item.body;
        switch (b.kind) {
          case 'attestation': ref(b.host, K.host); break;
          case 'ready': ref(b.fork, K.fork); break;
          case 'pages': ref(b.fork, K.fork); if (b.host) ref(b.host, K.host); break;
          case 'verdicts': ref(b.monitor, K.monitor); break;
          case 'state': vmRef(b.vm, local); break;
          case 'excludes': {
            const ck = ref(b.checkpoint, K.checkpoint)?.target;
            const vm = ck ? ns.get((ck.decl as A.CheckpointDecl).vm.text) : undefined;
            for (const p of b.processes) proc(p, vm);
            break;
          }
          case 'sees': ref(b.attacker, K.attacker); break;
          case 'write': vmRef(b.vm, local); break;
          default: break;
        }
      }
    }
  }
}

/** The VM whose processes a name refers to: a VM itself, a fork's parent, a restored VM's original. */
export function vmOf(s: Sym, ns: Namespace): Sym | undefined {
  if (s.kind === 'vm') return s;
  if (s.kind === 'fork') { const p = ns.get((s.decl as A.ForkDecl).parent.text); return p?.kind === 'vm' ? p : undefined; }
  if (s.kind === 'restored-vm' && s.parent) { const v = ns.get((s.parent.decl as A.CheckpointDecl).vm.text); return v?.kind === 'vm' ? v : undefined; }
  return undefined;
}

export function forEachPredicate(c: A.Cond, fn: (c: A.Cond) => void): void {
  if (c.kind === 'or' || c.kind === 'and') c.operands.forEach((o) => forEachPredicate(o, fn));
  else if (c.kind === 'not') forEachPredicate(c.operand, fn);
  else fn(c);
}
