// Attestation (Ma et al.): before anything is sent to a target host, the source
// and the target attest each other against the fork's policy; under
// `attest vtpm` each new vTPM's PCR 1-7 are checked against the parent's.
import type { HostModel, LinkModel } from '../../model/semantic';
import { coveredPcrs } from '../../model/attestation-policy';
import { attest, Exchange } from '../attest-exchange';
import { bootPcrs } from '../pcr';
import type { Policy } from '../attestation';
import type { Tpm } from '../tpm';
import type { Child, ForkState } from './state';
import { fail, maybeReady } from './lifecycle';

/** The quote selection and the accepted values of `attest hosts against …`. */
function policyFor(s: ForkState): { selection: number[]; policy: Policy } {
  const chains = s.fork.attestHosts ?? [];
  const sel = coveredPcrs(chains);
  return { selection: sel, policy: { chains: chains.map((c) => { const v = bootPcrs(c); return { name: c.name, pcrs: new Map(sel.map((i) => [i, v[i]])) }; }) } };
}

/** Mutual attestation of the source and a target host; `done` once both verdicts are in. */
export function attestHost(s: ForkState, host: HostModel, link: LinkModel, done: (ok: boolean, why: string) => void): void {
  const { world } = s;
  const targetTpm = world.hostTpm(host);
  const sourceTpm = world.hostTpm(s.source);
  if (!targetTpm || !sourceTpm) { done(false, `no TPM on ${targetTpm ? s.source.name : host.name}`); return; }
  const { selection, policy } = policyFor(s);
  const base = { fork: s.fork.name, round: s.round, line: s.line, kind: 'host' as const, link, selection, policy, quoteCost: world.costs.tpmQuote };
  let waiting = 2;
  let firstFailure = '';
  const one = (x: Exchange) => attest(world, x, (r) => {
    if (!r.passed && !firstFailure) firstFailure = `${r.target}: ${r.failures[0]?.id ?? 'failed'}`;
    if (--waiting === 0) done(!firstFailure, firstFailure);
  });
  one({ ...base, verifier: s.source.name, target: host.name, verifierHost: s.source, targetHost: host, tpm: targetTpm });
  one({ ...base, verifier: host.name, target: s.source.name, verifierHost: host, targetHost: s.source, tpm: sourceTpm });
}

/** `attest vtpm`: the parent checks the new vTPM's PCR 1-7 (copied from its host) against its own. */
export function attestVtpm(s: ForkState, c: Child): void {
  const { world } = s;
  const parentVtpm = s.parent.vtpm!;
  const sel = [1, 2, 3, 4, 5, 6, 7];
  const policy: Policy = { chains: [{ name: `${s.parent.name} vTPM`, pcrs: new Map(sel.map((i) => [i, parentVtpm.pcrs[i]])) }] };
  attest(world, {
    verifier: s.parent.name, target: c.name, kind: 'vtpm', fork: s.fork.name, round: s.round, line: s.line,
    verifierHost: s.source, targetHost: c.host, link: c.link, tpm: c.runtime.vtpm as Tpm, quoteCost: world.costs.vtpmQuote,
    selection: sel, policy,
  }, (r) => {
    if (!r.passed) { fail(s, c, `vTPM check failed: ${r.failures[0]?.id}`, true); return; }
    c.vtpmDone = true;
    s.phase(c, 'vTPM created and attested', c.createdUs ?? 0);
    maybeReady(s, c);
  });
}
