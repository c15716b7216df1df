// VMS040: OS-level VMs share their host's kernel, so they have no vTPM of
// their own; copy-on-write sharing (SCOW) is between OS-level VMs on one host.
import type * as A from '../../../grammar/src/ast';
import type { ValidationContext } from './context';
import { unreadProperty } from './syntax';
import { declNamed, named } from './names';

export function checkSharing(ctx: ValidationContext): void {
  for (const d of ctx.file.doc.decls) {
    if (d.kind === 'vm') {
      const vm = ctx.model.vms.get(d.name.text);
      const vtpm = d.props.find((p) => p.key === 'vtpm');
      if (vm && vm.decl === d && vtpm && vm.virtualization === 'os-level' && declNamed(ctx, ctx.file.path, d)) {
        ctx.report(vtpm.keySpan, 'VMS040', `vm '${d.name.text}' is os-level (a container sharing the host kernel) and cannot have its own vTPM; remove \`vtpm\` or use full or para virtualization`);
      }
    }
    if (d.kind === 'share') {
      // A VM recovery could not read (`between web, 5`) is its syntax error, not a share too short.
      const unread = ctx.file.doc.problems.some((p) => p.span.start >= d.span.start && p.span.start < d.span.end);
      if (d.vms.length < 2 && !unread) ctx.report(d.keywordSpan, 'VMS003', 'a share needs at least two vms');
      const vms = d.vms.map((i) => ({ i, vm: ctx.model.vms.get(i.text) }));
      const host = vms.find((v) => v.vm)?.vm?.host;
      for (const { i, vm } of vms) {
        if (!vm) continue;
        if (vm.virtualization !== 'os-level') {
          // A `virtualization` that could not be read (VMS000) or is no kind (VMS003) is its own error, not a left-out one.
          const written = vm.decl.kind === 'vm' ? vm.decl.props.find((p) => p.key === 'virtualization') : undefined;
          if (unreadProperty(vm.decl, 'virtualization') || (written && written.value.text !== vm.virtualization)) continue;
          ctx.report(i.span, 'VMS040', `vm '${vm.name}' is ${vm.virtualization}-virtualized; copy-on-write sharing needs os-level vms (add \`virtualization os-level\`)`);
        } else if (host && vm.host !== host) {
          ctx.report(i.span, 'VMS040', `vm '${vm.name}' runs on host '${vm.host.name}' but the share is on host '${host.name}'; shared vms must run on one host`);
        }
      }
      const seen = new Set<string>();
      for (const i of d.vms as A.Ident[]) {
        if (!named(i)) continue;
        if (seen.has(i.text)) ctx.report(i.span, 'VMS002', `vm '${i.text}' is named twice in this share`);
        seen.add(i.text);
      }
    }
  }
}
