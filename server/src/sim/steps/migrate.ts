// `at T migrate VM to H`: one meaning for every migration (step, monitor
// action, escalation) lives in sim/migration.ts; this only names the VM and host.
import { migrateVm } from '../migration';
import type { StepHandler } from './context';

export const migrateStep: StepHandler<'migrate'> = (s, b, { line, report, vmNamed }) => {
  const vm = vmNamed(b.vm, 'it cannot be migrated');
  const host = s.model.hosts.get(b.host.text);
  if (!vm || !host) { if (vm) report(false, `no host '${b.host.text}'`); return; }
  const refused = migrateVm(s.world, vm, host, line, undefined, (o) => report(o.ok, o.text));
  if (refused) report(false, refused.text);
};
