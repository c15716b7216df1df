// The namespace of a file set: every top-level name, by name, in one map
// (LANGUAGE.md §3 "Names and scope"). Lookups are O(1); building is linear in
// the number of declarations. Process names are local to their VM and rule
// names to their monitor, so they live in per-declaration maps.
import type * as A from '../../../grammar/src/ast';
import type { SourceFile } from './source-file';

export type SymbolKind = A.SymbolKind | 'process' | 'rule' | 'restored-vm';

export interface Sym {
  name: string;
  kind: SymbolKind;
  path: string;
  /** The span of the declaring name. */
  span: A.Span;
  /** The whole declaration (for hovers, outline, folding). */
  declSpan: A.Span;
  decl: A.Decl | A.ProcessDecl | A.RuleDecl | A.AtkProp | A.ScenarioItem;
  /** The VM of a process, the monitor of a rule, the attacker of an attacker VM. */
  parent?: Sym;
}

export const KIND_WORDS: Record<SymbolKind, string> = {
  boot: 'boot chain', host: 'host', network: 'network', vm: 'vm', fork: 'fork', monitor: 'monitor',
  checkpoint: 'checkpoint', authority: 'authority', certificate: 'certificate', attacker: 'attacker',
  'attacker-vm': "attacker's vm", process: 'process', rule: 'rule', 'restored-vm': 'restored vm',
};

export interface Duplicate { first: Sym; second: Sym }

export class Namespace {
  readonly byName = new Map<string, Sym>();
  readonly duplicates: Duplicate[] = [];
  /** Processes by VM name, then process name. */
  readonly processes = new Map<string, Map<string, Sym>>();
  readonly processDuplicates: Duplicate[] = [];

  add(sym: Sym): void {
    if (!sym.name) return;
    const first = this.byName.get(sym.name);
    if (first) this.duplicates.push({ first, second: sym });
    else this.byName.set(sym.name, sym);
  }

  get(name: string): Sym | undefined { return this.byName.get(name); }

  processesOf(vmName: string): Map<string, Sym> | undefined { return this.processes.get(vmName); }
}

/** The symbols one file declares, in order of writing. */
export function declaredSymbols(file: SourceFile): Sym[] {
  const out: Sym[] = [];
  for (const d of file.doc.decls) {
    switch (d.kind) {
      case 'import': case 'link': case 'share': case 'scenario': break;
      case 'attacker': {
        const atk: Sym = { name: d.name.text, kind: 'attacker', path: file.path, span: d.name.span, declSpan: d.span, decl: d };
        out.push(atk);
        for (const p of d.props) {
          if (p.key === 'vm') out.push({ name: p.name.text, kind: 'attacker-vm', path: file.path, span: p.name.span, declSpan: p.span, decl: p, parent: atk });
        }
        break;
      }
      default:
        out.push({ name: d.name.text, kind: d.kind, path: file.path, span: d.name.span, declSpan: d.span, decl: d });
    }
  }
  return out;
}

export function processSymbols(vm: Sym): Sym[] {
  const d = vm.decl as A.VmDecl;
  return d.props.filter((p): p is A.ProcessDecl => p.key === 'process')
    .map((p) => ({ name: p.name.text, kind: 'process' as const, path: vm.path, span: p.name.span, declSpan: p.span, decl: p, parent: vm }));
}

/** A file's symbols, each VM with its processes: they depend on the file
 *  alone, so they are made once per parsed document (and path), not once per
 *  file set that includes the file. */
interface FileSymbols { path: string; syms: Sym[]; procs: (Sym[] | undefined)[] }
const symbolCache = new WeakMap<readonly A.Decl[], FileSymbols>();

function fileSymbols(f: SourceFile): FileSymbols {
  const hit = symbolCache.get(f.doc.decls);
  if (hit && hit.path === f.path) return hit;
  const syms = declaredSymbols(f);
  const made: FileSymbols = { path: f.path, syms, procs: syms.map((s) => (s.kind === 'vm' ? processSymbols(s) : undefined)) };
  symbolCache.set(f.doc.decls, made);
  return made;
}

export function buildNamespace(files: readonly SourceFile[]): Namespace {
  const ns = new Namespace();
  for (const f of files) {
    const { syms, procs: procsOf } = fileSymbols(f);
    for (let i = 0; i < syms.length; i++) {
      const sym = syms[i];
      ns.add(sym);
      const list = procsOf[i];
      if (list) {
        const procs = new Map<string, Sym>();
        for (const p of list) {
          const first = procs.get(p.name);
          if (first) ns.processDuplicates.push({ first, second: p });
          else if (p.name) procs.set(p.name, p);
        }
        if (!ns.processes.has(sym.name)) ns.processes.set(sym.name, procs);
      }
    }
  }
  return ns;
}
