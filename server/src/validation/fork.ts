// The fork plan against the topology and the attackers: attestation needs
// TPMs (VMS010), remote targets should be attested (VMS011), pages need
// integrity where attackers modify traffic (VMS012) and confidential memory
// needs encryption where they listen (VMS013); children must fit their
// hosts' memory and cpus (VMS014) and be reachable (VMS015). Children are
// counted per host, never listed one by one, so the work does not grow with
// `children`.
import type * as A from '../../../grammar/src/ast';
import { formatBytes } from '../../../grammar/src/literals';
import { AttackKind, childrenPerHost, childrenShortfalls, ForkModel, forkPagesPerChild, HostModel, LinkModel, linksBetween, routeBetween } from '../model/semantic';
import { groupDigits, MAX_FORK_PAGES } from '../model/limits';
import { childRoom } from '../model/child-address';
import type { ValidationContext } from './context';
import { unreadProperty } from './syntax';
import { declNamed, named } from './names';

/** The name written in `on` for a host (or the fork's name when `on` is left out). */
function hostSpan(f: ForkModel, host: HostModel): A.Span {
  const d = f.decl as A.ForkDecl;
  const on = d.props.find((p) => p.key === 'on') as A.ValueProp<'on', A.Ident[]> | undefined;
  return on?.value.find((i) => i.text === host.name)?.span ?? d.name.span;
}

function attackersOn(ctx: ValidationContext, links: LinkModel[], kinds: AttackKind[]): { attacker: string; kind: AttackKind; link: LinkModel }[] {
  const out: { attacker: string; kind: AttackKind; link: LinkModel }[] = [];
  for (const link of links) {
    for (const { attacker, attack } of ctx.model.attacksByLink.get(link) ?? []) {
      if (!kinds.includes(attack.kind) || (attack.kind !== 'tap' && attack.percent <= 0)) continue;
      out.push({ attacker: attacker.name, kind: attack.kind, link });
    }
  }
  return out;
}

export function checkForks(ctx: ValidationContext): void {
  for (const f of ctx.model.forks.values()) {
    // A fork whose name recovery made up (`fork of web`) is its syntax error only.
    if (f.path !== ctx.file.path || !declNamed(ctx, f.path, f.decl as A.Decl)) continue;
    const d = f.decl as A.ForkDecl;
    const source = f.parent.host;
    const perHost = childrenPerHost(f);
    const targets = [...perHost.keys()];
    const remote = targets.filter((h) => h !== source);
    const attestProp = d.props.find((p) => p.key === 'attest hosts');
    const vtpmProp = d.props.find((p) => p.key === 'attest vtpm');

    // VMS010
    if (attestProp && remote.length) {
      for (const h of [source, ...remote]) {
        if (h.tpm || unreadProperty(h.decl, 'tpm')) continue;
        const span = h === source ? attestProp.keySpan : hostSpan(f, h);
        ctx.report(span, 'VMS010', `fork '${f.name}' attests host '${h.name}'${h === source ? ' (its source)' : ''}, which has no TPM; add \`tpm ecdsa-p256\` to host '${h.name}'`);
      }
    }
    if (vtpmProp && !f.parent.vtpm && !unreadProperty(f.parent.decl, 'vtpm')) {
      ctx.report(vtpmProp.keySpan, 'VMS010', `\`attest vtpm\` needs a vTPM in vm '${f.parent.name}'; add \`vtpm\` to it`);
    }

    for (const h of remote) {
      // VMS015
      if (linksBetween(ctx.model, source, h).length === 0) {
        ctx.report(hostSpan(f, h), 'VMS015', `no link or network joins '${source.name}' (where vm '${f.parent.name}' runs) and '${h.name}'; declare \`link ${source.name} <-> ${h.name} { }\` or add both to a network`);
      }
      // VMS011
      if (!attestProp && !unreadProperty(d, 'attest hosts')) {
        ctx.report(hostSpan(f, h), 'VMS011', `fork '${f.name}' sends memory to host '${h.name}' without attesting it; add \`attest hosts against ${source.boot?.name ?? '<boot chain>'}\``,
          { data: { fork: f.name, boot: source.boot?.name } });
      }
    }
    // Pages travel over the route the simulator takes, not over every link that joins two hosts.
    const used = [...new Set(remote.flatMap((h) => routeBetween(ctx.model, source, h) ?? []))];

    // VMS012
    if (f.integrity.mode === 'none' && used.length && !unreadProperty(d, 'integrity')) {
      const hits = attackersOn(ctx, used, ['tamper', 'drop', 'replay']);
      if (hits.length) {
        const integ = d.props.find((p) => p.key === 'integrity');
        const h = hits[0];
        ctx.report(integ?.keySpan ?? d.name.span, 'VMS012',
          `pages of fork '${f.name}' cross ${h.link.isNetwork ? 'network' : 'link'} '${h.link.name}', where attacker '${h.attacker}' can ${h.kind} them, with no integrity check; set \`integrity per-page\` (or \`batched N\`)`,
          { data: { fork: f.name } });
      }
    }
    // VMS013
    const secret = f.parent.processes.filter((p) => p.confidential && named(p.name));
    if (secret.length && !f.encrypt && used.length && !unreadProperty(d, 'encrypt')) {
      const hits = attackersOn(ctx, used, ['tap']);
      if (hits.length) {
        ctx.report(d.name.span, 'VMS013',
          `vm '${f.parent.name}' holds confidential process '${secret[0].name}' and fork '${f.name}' sends its memory in clear over '${hits[0].link.name}', which attacker '${hits[0].attacker}' taps; add \`encrypt\``,
          { data: { fork: f.name } });
      }
    }
    // VMS014
    for (const [h, n] of perHost) {
      const kids = `${n} ${n === 1 ? 'child' : 'children'}`;
      const needs = n === 1 ? 'needs' : 'need';
      for (const short of childrenShortfalls(h, n, f.parent)) {
        const what = short.what === 'memory'
          ? `${kids} of ${formatBytes(f.parent.memory)} on host '${h.name}' ${needs} ${formatBytes(short.need)}, but it has ${formatBytes(short.has)}`
          : `${kids} of ${f.parent.vcpus} ${f.parent.vcpus === 1 ? 'vcpu' : 'vcpus'} on host '${h.name}' ${needs} ${short.need} cpus, but it has ${short.has}`;
        ctx.report(hostSpan(f, h), 'VMS014', `${what}; add hosts to \`on\` or lower \`children\``);
      }
    }
    // These two judge `children` against the parent VM's values, so a sweep
    // that varies both judges them per grid point (batch/vary.ts).
    // Children take addresses by the child IP rule (model/child-address.ts); they must fit in the subnet.
    const room = childRoom(f.parent.subnet);
    const children = d.props.find((p) => p.key === 'children') as A.ValueProp<'children', A.Quantity> | undefined;
    // Each child keeps a map of the parent's pages and blocks in the simulator.
    const pages = f.children * forkPagesPerChild(f.parent);
    if (pages > MAX_FORK_PAGES) {
      ctx.report(children?.value.span ?? d.name.span, 'VMS003', `${f.children} ${f.children === 1 ? 'child' : 'children'} of vm '${f.parent.name}' (${formatBytes(f.parent.memory)} memory${f.parent.disk ? `, ${formatBytes(f.parent.disk)} disk` : ''}) make ${groupDigits(pages)} pages to track; the limit is ${groupDigits(MAX_FORK_PAGES)} (1 TiB of child memory and disk in all); lower \`children\` or the vm's memory`, COMBINED);
    }
    if (f.children > room) {
      ctx.report(children?.value.span ?? d.name.span, 'VMS003', `${f.children} children do not fit in the /${f.parent.subnet.prefix} subnet of vm '${f.parent.name}' (room for ${room}); use a larger subnet`, COMBINED);
    }
  }
}

/** A value error that depends on other declared values, not on the value alone (`data.combined`). */
const COMBINED = { data: { combined: true } };
