// A file's declarations grouped by kind, built once per parsed document (the
// decls array is new for every parse and incremental reparse, so it is the
// cache key). The model builders ask for one kind instead of scanning every
// declaration of every file once per kind.
import type * as A from '../../../grammar/src/ast';

export type DeclOfKind<K extends A.Decl['kind']> = Extract<A.Decl, { kind: K }>;

/** Each list in order of writing; `links` and `sharesAndCertificates` interleave two kinds as written. */
export class DeclIndex {
  readonly boots: A.BootDecl[] = [];
  readonly hosts: A.HostDecl[] = [];
  readonly links: (A.LinkDecl | A.NetworkDecl)[] = [];
  readonly vms: A.VmDecl[] = [];
  readonly forks: A.ForkDecl[] = [];
  readonly attackers: A.AttackerDecl[] = [];
  readonly monitors: A.MonitorDecl[] = [];
  readonly checkpoints: A.CheckpointDecl[] = [];
  readonly authorities: A.AuthorityDecl[] = [];
  readonly sharesAndCertificates: (A.ShareDecl | A.CertificateDecl)[] = [];

  constructor(decls: readonly A.Decl[]) {
    for (const d of decls) {
      switch (d.kind) {
        case 'boot': this.boots.push(d); break;
        case 'host': this.hosts.push(d); break;
        case 'link': case 'network': this.links.push(d); break;
        case 'vm': this.vms.push(d); break;
        case 'fork': this.forks.push(d); break;
        case 'attacker': this.attackers.push(d); break;
        case 'monitor': this.monitors.push(d); break;
        case 'checkpoint': this.checkpoints.push(d); break;
        case 'authority': this.authorities.push(d); break;
        case 'share': case 'certificate': this.sharesAndCertificates.push(d); break;
        default: break;
      }
    }
  }
}

const cache = new WeakMap<readonly A.Decl[], DeclIndex>();

export function declIndex(doc: A.Document): DeclIndex {
  let ix = cache.get(doc.decls);
  if (!ix) { ix = new DeclIndex(doc.decls); cache.set(doc.decls, ix); }
  return ix;
}
