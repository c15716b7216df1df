// Whether a shared file may be written (LANGUAGE.md §3 "Certificates and
// sharing"): one rule for a VM's `write` and an attacker's `present` of a
// stolen certificate, which is checked as a write by its subject would be.
// The share is a file of one host's kernel (VMS040 keeps its VMs on one
// host): a VM moved off that host writes its own copy, not the share, so the
// write (or a presentation in its name) is denied whatever the certificate.
// Otherwise, with `require certificate`, any one of the certificates offered
// must be valid for the VM at that time.
import type { ShareModel } from '../../model/semantic-certificates';
import type { Certificate } from '../certificates';
import type { ScenarioState } from './context';

export interface ShareVerdict { ok: boolean; why: string }

/** The verdict on writing `share` as VM `vm` (its name) with `certificates` (those it holds, or the one presented). */
export function shareVerdict(s: ScenarioState, share: ShareModel, vm: string, certificates: Certificate[]): ShareVerdict {
  const home = s.model.vms.get(share.vms[0])?.host;
  const now = s.world.vms.get(vm)?.host;
  if (home && now && now !== home) return { ok: false, why: `the share joins vms on ${home.name}; ${vm} now runs on ${now.name}` };
  if (!share.requireCertificate) return { ok: true, why: 'no certificate required' };
  return s.cas.checkAny(certificates, vm, s.world.engine.now);
}
