// `at T rotate C`: the authority re-issues a certificate to its holder (a thief's copy stays as stolen).
import type { StepHandler } from './context';

export const rotateStep: StepHandler<'rotate'> = (s, b, { report }) => {
  const c = s.cas.rotate(b.certificate.text, s.world.engine.now);
  report(!!c, c ? `certificate ${c.name} re-issued, valid until ${((c.issuedUs + c.validUs) / 1000).toFixed(0)} ms` : `no certificate ${b.certificate.text}`);
};
