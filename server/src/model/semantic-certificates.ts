// The meaning of authorities, certificates and shares (LANGUAGE.md §3,
// "Certificates and sharing"), with defaults filled in and names resolved,
// so the simulator never reads their AST. Like the rest of the semantic
// model, what does not resolve is left out; the validator reports it.
import type * as A from '../../../grammar/src/ast';
import type { SourceFile } from './source-file';
import type { Namespace } from './symbols';
import { LIMITS, within } from './limits';
import { declIndex } from './decl-index';
import { appendTo } from './map-of-lists';

export type AuthorityKey = 'ecdsa-p256' | 'rsa-2048';

export interface AuthorityModel { path: string; decl: A.AuthorityDecl; name: string; key: AuthorityKey }
export interface CertificateModel {
  path: string; decl: A.CertificateDecl; name: string;
  /** The VM the certificate is issued to (its name; `for NAME`). */
  subject: string;
  /** The subject VM's tenant, when it declares one (the certificate's O). */
  subjectTenant?: string;
  authority: AuthorityModel;
  /** How long an issue is valid, in microseconds of simulated time. */
  validUs: number;
}
export interface ShareModel {
  path: string; decl: A.ShareDecl;
  /** The shared file's path, as written. */
  file: string;
  /** The VMs that share it, by name, as written. */
  vms: string[];
  requireCertificate: boolean;
}
export interface CertificatesModel {
  authorities: Map<string, AuthorityModel>;
  certificates: Map<string, CertificateModel>;
  /** Shares are nameless: every `share` of every file, in file order. */
  shares: ShareModel[];
  /** Indexes: a VM's certificates (in declaration order) and a file's shares. */
  bySubject: Map<string, CertificateModel[]>;
  sharesByFile: Map<string, ShareModel[]>;
}

/** The authority key when `key` is missing or misspelt (the validator reports both). */
export const DEFAULT_AUTHORITY_KEY: AuthorityKey = 'ecdsa-p256';

export function buildCertificates(files: readonly SourceFile[], ns: Namespace): CertificatesModel {
  const m: CertificatesModel = { authorities: new Map(), certificates: new Map(), shares: [], bySubject: new Map(), sharesByFile: new Map() };
  const owned = (d: A.Decl & { name: A.Ident }) => ns.get(d.name.text)?.decl === d;
  for (const f of files) for (const d of declIndex(f.doc).authorities) {
    const path = f.path;
    if (!owned(d)) continue;
    const key = d.props.find((p) => p.key === 'key')?.value.text;
    m.authorities.set(d.name.text, { path, decl: d, name: d.name.text, key: key === 'rsa-2048' || key === 'ecdsa-p256' ? key : DEFAULT_AUTHORITY_KEY });
  }
  for (const f of files) for (const d of declIndex(f.doc).sharesAndCertificates) {
    const path = f.path;
    if (d.kind === 'share') {
      const share: ShareModel = { path, decl: d, file: d.path.value, vms: d.vms.map((v) => v.text), requireCertificate: d.requireCertificate };
      m.shares.push(share);
      appendTo(m.sharesByFile, share.file, share);
      continue;
    }
    if (d.kind !== 'certificate' || !owned(d)) continue;
    const authority = m.authorities.get(d.authority.text);
    const subject = ns.get(d.subject.text);
    // A validity outside its limit (VMS003) or a subject that is not a VM (VMS001) leaves the certificate out.
    const validUs = within(d.valid, LIMITS.certificateValid);
    if (!authority || subject?.kind !== 'vm' || validUs === undefined) continue;
    const tenant = (subject.decl as A.VmDecl).props.find((p): p is Extract<A.VmProp, { key: 'tenant' }> => p.key === 'tenant');
    const cert: CertificateModel = { path, decl: d, name: d.name.text, subject: d.subject.text, subjectTenant: tenant?.value.text, authority, validUs };
    m.certificates.set(cert.name, cert);
    appendTo(m.bySubject, cert.subject, cert);
  }
  return m;
}

/** The shares of a file that a VM takes part in. */
export function sharesOf(m: CertificatesModel, file: string, vm: string): ShareModel[] {
  return (m.sharesByFile.get(file) ?? []).filter((s) => s.vms.includes(vm));
}
