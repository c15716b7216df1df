// `at T present C for "PATH"`: an attacker presents a stolen certificate for a
// shared file, checked as a write by the certificate's subject would be
// (LANGUAGE.md §3): the path must be a share (else a step error, as for
// `write`), the subject must be one of that share's VMs, and with `require
// certificate` the stolen copy must verify, name the subject and be within
// its window; and, as for a write (share-access.ts), a subject that has moved
// off the share's host no longer writes the share, so its certificate opens
// nothing there.
import type { StepHandler } from './context';
import { shareVerdict } from './share-access';

export const presentStep: StepHandler<'present'> = (s, b, { report }) => {
  const name = b.certificate.text;
  const path = b.path.value;
  // The thief's copy as it was when stolen: the owner's later `rotate` does not renew it.
  const cert = s.cas.stolenCopy(name);
  const thief = [...s.model.attackers.values()].find((a) => a.steals.includes(name));
  if (!cert || !thief) { report(false, `no attacker steals certificate ${name}; only a stolen certificate can be presented (add \`steal ${name}\` to an attacker)`); return; }
  const shares = s.model.certificates.sharesByFile.get(path);
  if (!shares?.length) { report(false, `no share declares "${path}"; a certificate is presented for a shared file`); return; }
  const share = shares.find((x) => x.vms.includes(cert.subject));
  const verdict = !share
    ? { ok: false, why: `${name} is for ${cert.subject}, which is not among the vms sharing "${path}" (${shares.flatMap((x) => x.vms).filter((v, i, all) => all.indexOf(v) === i).join(', ')})` }
    : shareVerdict(s, share, cert.subject, [cert]);
  s.writes.push({ vm: `${thief.name} as ${cert.subject}`, path, allowed: verdict.ok, why: verdict.why });
  report(true, `attacker ${thief.name} presents ${cert.name} for "${path}": ${verdict.ok ? 'accepted' : 'rejected'} (${verdict.why})`);
};
