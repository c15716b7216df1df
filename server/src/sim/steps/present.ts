// `at T present C for "PATH"`: an attacker presents a stolen certificate for a shared file.
import type { StepHandler } from './context';

export const presentStep: StepHandler<'present'> = (s, b, { report }) => {
  // The thief's copy as it was when stolen: the owner's later `rotate` does not renew it.
  const cert = s.cas.stolenCopy(b.certificate.text);
  const thief = [...s.model.attackers.values()].find((a) => a.steals.includes(b.certificate.text));
  if (!cert || !thief) { report(false, `no attacker holds certificate ${b.certificate.text}`); return; }
  const verdict = s.cas.check(cert, cert.subject, s.world.engine.now);
  s.writes.push({ vm: `${thief.name} as ${cert.subject}`, path: b.path.value, allowed: verdict.ok, why: verdict.why });
  report(true, `attacker ${thief.name} presents ${cert.name} for "${b.path.value}": ${verdict.ok ? 'accepted' : 'rejected'} (${verdict.why})`);
};
