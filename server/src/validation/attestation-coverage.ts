// VMS017: what a fork's attestation policy actually checks. Like Keylime's,
// a policy checks only the PCRs its accepted chains name, so a host whose boot
// chain also measures something into another PCR (a rootkit into PCR 8)
// passes against a policy that names only PCR 0. That meaning stays; this
// makes the gap visible, at `check` and in the fork plan's hover.
import type * as A from '../../../grammar/src/ast';
import { childrenPerHost, ForkModel, HostModel } from '../model/semantic';
import { chainPcrs, coveredPcrs } from '../model/attestation-policy';
import type { ValidationContext } from './context';

export interface HostCoverage { host: HostModel; measured: number[]; uncovered: number[] }
export interface Coverage {
  /** The PCRs the policy checks: those any accepted chain names. */
  covered: number[];
  /** Every host the fork attests, with the PCRs its boot chain measures that the policy does not check. */
  hosts: HostCoverage[];
}

/**
 * The coverage of a fork's `attest hosts against …` policy, or undefined when
 * the fork attests nothing (no policy, or every child stays on the source host:
 * only hosts that receive something are attested, and the source with them).
 * Which PCRs are covered is model/attestation-policy.ts's rule, the one the
 * simulator's quotes select.
 */
export function attestationCoverage(f: ForkModel): Coverage | undefined {
  if (!f.attestHosts) return undefined;
  const source = f.parent.host;
  const remote = [...childrenPerHost(f).keys()].filter((h) => h !== source);
  if (!remote.length) return undefined;
  const covered = coveredPcrs(f.attestHosts);
  const hosts = [source, ...remote].map((host) => {
    // Without a TPM nothing is measured (VMS010 reports the host itself).
    const measured = host.tpm && host.boot ? chainPcrs(host.boot) : [];
    return { host, measured, uncovered: measured.filter((i) => !covered.includes(i)) };
  });
  return { covered, hosts };
}

export function checkAttestationCoverage(ctx: ValidationContext): void {
  for (const f of ctx.model.forks.values()) {
    if (f.path !== ctx.file.path) continue;
    const prop = (f.decl as A.ForkDecl).props.find((p) => p.key === 'attest hosts') as A.ValueProp<'attest hosts', A.Ident[]> | undefined;
    const names = prop?.value.filter((b) => b.text) ?? [];
    // A chain that is not declared (VMS001/VMS016) would make the policy look narrower than written.
    if (!names.length || names.length !== prop!.value.length || f.attestHosts?.length !== names.length) continue;
    const cov = attestationCoverage(f);
    if (!cov) continue;
    // Located on the accepted chains written after `against`: that list is what would change.
    const span = { start: names[0].span.start, end: names[names.length - 1].span.end };
    const policy = names.map((b) => b.text).join(', ');
    for (const { host, uncovered } of cov.hosts) {
      for (const i of uncovered) {
        ctx.report(span, 'VMS017', `attestation against ${policy} does not cover PCR ${i}, which host ${host.name} measures`,
          { data: { fork: f.name, host: host.name, pcr: i } });
      }
    }
  }
}
