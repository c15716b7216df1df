// VMS003: values out of range, of the wrong unit or not one of the allowed
// words; VMS002: a property given twice in one block.
import type * as A from '../../../grammar/src/ast';
import { formatBytes } from '../../../grammar/src/literals';
import { closest } from '../../../grammar/src/suggest';
import { bareZero, Limit, LIMITS as L, PAGE, rangeText, within } from '../model/limits';
import { ENUM_VALUES } from '../model/enum-values';
import { linksBetween, type LinkModel } from '../model/semantic';
import { appendTo } from '../model/map-of-lists';
import type { ValidationContext } from './context';
import { declNamed, nameWritten } from './names';

const KIND_TEXT: Record<A.QuantityKind, string> = {
  number: 'a plain number', size: 'a size', rate: 'a rate', duration: 'a duration', percent: 'a percentage',
};

/**
 * Checks one quantity against its documented limit (model/limits.ts).
 * Quantities from parse recovery (no text) are already reported as VMS000.
 * `what` overrides how the message names the value.
 */
export function checkQuantity(ctx: ValidationContext, q: A.Quantity | undefined, limit: Limit, what = limit.what): boolean {
  if (!q || !q.text || Number.isNaN(q.number)) return false;
  const kind: A.QuantityKind = limit.kind === 'int' ? 'number' : limit.kind;
  if (q.kind !== kind && !bareZero(q)) {
    // `512 mib`: the parser reported the unit it could not read (VMS000); the number is that one mistake.
    if (q.kind === 'number' && unitReported(ctx, q)) return false;
    ctx.report(q.span, 'VMS003', `${what} needs ${limit.kind === 'int' ? 'a whole number' : KIND_TEXT[kind]} such as ${limit.example}; '${q.text}' is ${KIND_TEXT[q.kind]}`);
    return false;
  }
  const v = q.kind === kind ? q.value : 0;
  // Out of range first: a number too long to hold (Infinity) is out of range, not "not whole".
  if (!Number.isFinite(v) || v < limit.min || v > limit.max) {
    ctx.report(q.span, 'VMS003', `${what} must be ${rangeText(limit)}; found '${q.text}'`);
    return false;
  }
  // `1.0` is not written as a whole number either (LANGUAGE.md's INT).
  if (limit.kind === 'int' && (!Number.isInteger(v) || q.text.includes('.'))) {
    ctx.report(q.span, 'VMS003', `${what} must be a whole number; found '${q.text}'`);
    return false;
  }
  if (limit.pageMultiple && v % PAGE !== 0) {
    ctx.report(q.span, 'VMS003', `${what} must be a multiple of 4 KiB (one page); '${q.text}' is not — try ${formatBytes(Math.ceil(v / PAGE) * PAGE)}`);
    return false;
  }
  return true;
}

/** Whether a syntax problem about an unknown unit starts right after this bare number, on its line. */
function unitReported(ctx: ValidationContext, q: A.Quantity): boolean {
  const text = ctx.file.text;
  let at = q.span.end;
  while (text[at] === ' ' || text[at] === '\t') at++;
  return ctx.file.doc.problems.some((p) => p.span.start === at && p.unit !== undefined);
}

export function checkWord(ctx: ValidationContext, id: A.Ident | undefined, allowed: readonly string[], what: string): boolean {
  if (!id || !id.text || allowed.includes(id.text)) return true;
  const guess = closest(id.text, allowed);
  ctx.report(id.span, 'VMS003', `${what} must be ${allowed.length === 2 ? `${allowed[0]} or ${allowed[1]}` : `one of ${allowed.join(', ')}`}; found '${id.text}'${guess ? ` — did you mean '${guess}'?` : ''}`);
  return false;
}

export function checkAddr(ctx: ValidationContext, a: A.Addr | undefined, what: string, wantCidr: boolean): void {
  if (!a) return;
  if (Number.isNaN(a.ip)) ctx.report(a.span, 'VMS003', `${what}: '${a.text}' is not an IPv4 address (each part is 0–255)`);
  else if (a.prefix !== undefined && a.prefix > 32) ctx.report(a.span, 'VMS003', `${what}: the prefix of '${a.text}' must be at most /32`);
  else if (wantCidr && a.prefix === undefined) ctx.report(a.span, 'VMS003', `${what} needs a CIDR block such as ${a.text}/24`);
  else if (a.prefix !== undefined && a.prefix < 32 && (a.ip & (a.prefix === 0 ? 0 : ~0 >>> a.prefix)) !== 0) {
    ctx.report(a.span, 'VMS003', `${what}: '${a.text}' has host bits set; the block starts at ${netText(a)}`);
  }
}
function netText(a: A.Addr): string {
  const mask = a.prefix === 0 ? 0 : (~0 << (32 - a.prefix!)) >>> 0;
  const ip = (a.ip & mask) >>> 0;
  return `${[ip >>> 24, (ip >>> 16) & 255, (ip >>> 8) & 255, ip & 255].join('.')}/${a.prefix}`;
}

const REPEATABLE = new Set(['process', 'ipc', 'rule', 'pcr', 'exclude', 'step', 'expect']);

function checkRepeats(ctx: ValidationContext, props: readonly { key: string; keySpan: A.Span }[], block: string, skip?: ReadonlySet<string>): void {
  // Blocks are short: a Map only for long ones (no allocation per block otherwise).
  const seen = props.length > 16 ? new Map<string, A.Span>() : undefined;
  for (let i = 0; i < props.length; i++) {
    const p = props[i];
    if (REPEATABLE.has(p.key) || skip?.has(p.key)) continue;
    let prev: A.Span | undefined;
    if (seen) prev = seen.get(p.key);
    else for (let j = 0; j < i; j++) if (props[j].key === p.key) { prev = props[j].keySpan; break; }
    if (seen && !prev) seen.set(p.key, p.keySpan);
    if (prev) ctx.report(p.keySpan, 'VMS002', `'${p.key}' is given twice in this ${block} (first at ${ctx.where(ctx.file.path, prev)}); keep one`);
  }
}

/** Text naming `id`, or undefined when the name could not be read (its VMS000 says so; nothing quotes ''). */
function naming(ctx: ValidationContext, id: A.Ident, text: (name: string) => string): string | undefined {
  return nameWritten(ctx, ctx.file.path, id) ? text(id.text) : undefined;
}

/** VMS002 for a name listed twice where each entry counts once (a network's hosts, a monitor's VMs, …); `where` undefined: the list's owner has no name yet. */
function listRepeats(ctx: ValidationContext, names: readonly A.Ident[], where: string | undefined): void {
  if (!where || names.length < 2) return;
  const seen = new Map<string, A.Span>();
  for (const n of names) {
    if (!n.text) continue; // parse recovery: already VMS000
    const prev = seen.get(n.text);
    if (prev) ctx.report(n.span, 'VMS002', `'${n.text}' is listed twice in ${where} (first at ${ctx.where(ctx.file.path, prev)}); keep one`);
    else seen.set(n.text, n.span);
  }
}

const pairKey = (a: string, b: string) => (a < b ? `${a} ${b}` : `${b} ${a}`);

/** The links declared between each pair of hosts in the file set. */
function linksPerPair(ctx: ValidationContext): Map<string, LinkModel[]> {
  const out = new Map<string, LinkModel[]>();
  for (const l of ctx.model.links) {
    if (l.isNetwork || l.hosts.length !== 2) continue;
    appendTo(out, pairKey(l.hosts[0].name, l.hosts[1].name), l);
  }
  return out;
}

/**
 * VMS002 for a second link between the same two hosts (`b <-> a` is `a <-> b`):
 * the simulator would use only the faster. Reported in the file being checked,
 * on its later link, or on its link when an imported file has one too.
 */
function linkRepeats(ctx: ValidationContext, d: A.LinkDecl, pairs: Map<string, LinkModel[]>): void {
  if (!d.a.text || !d.b.text || d.a.text === d.b.text) return;
  const prev = pairs.get(pairKey(d.a.text, d.b.text))?.find((l) => l.decl !== d && (l.path !== ctx.file.path || l.decl.span.start < d.span.start));
  if (!prev) return;
  ctx.report({ start: d.a.span.start, end: d.b.span.end }, 'VMS002', `a link between '${d.a.text}' and '${d.b.text}' is already declared (${ctx.where(prev.path, prev.decl.span)}); keep one (pages take the fastest link, so the other would never be used)`);
}

const ATTACK_REPEATABLE = new Set(['tap', 'tamper', 'drop', 'replay', 'vm', 'steal']);
const FILE_KEY = new Set(['file']);
/** Every property key that may be written more than once in its block (completion offers the others once). */
export const REPEATABLE_KEYS: ReadonlySet<string> = new Set([...REPEATABLE, ...ATTACK_REPEATABLE, ...FILE_KEY]);

/** What an attack acts on, as a key: a network by name, a host pair in either order, a certificate. */
function attackTarget(p: A.AtkProp): { key: string; text: string; span: A.Span } | undefined {
  if (p.key === 'steal') return p.value.text ? { key: p.value.text, text: p.value.text, span: p.value.span } : undefined;
  const t = p.key === 'tap' ? p.value : p.key === 'tamper' || p.key === 'drop' || p.key === 'replay' ? p.target : undefined;
  if (!t || !t.a.text || (t.b && !t.b.text)) return undefined;   // parse recovery: already VMS000
  const key = t.b ? [t.a.text, t.b.text].sort().join(' <-> ') : t.a.text;
  return { key: t.b ? `pair:${key}` : `net:${key}`, text: t.b ? `${t.a.text} <-> ${t.b.text}` : t.a.text, span: t.span };
}

/** VMS002 for the same action on the same target twice (`a <-> b` is `b <-> a`). */
function attackRepeats(ctx: ValidationContext, props: readonly A.AtkProp[]): void {
  const seen = new Map<string, { text: string; span: A.Span }>();
  for (const p of props) {
    const t = attackTarget(p);
    if (!t) continue;
    const id = `${p.key} ${t.key}`;
    const prev = seen.get(id);
    if (prev) ctx.report(t.span, 'VMS002', `'${p.key} ${t.text}' repeats '${p.key} ${prev.text}' (${ctx.where(ctx.file.path, prev.span)}): the same action on the same target; keep one`);
    else seen.set(id, { text: t.text, span: t.span });
  }
}

export function checkValues(ctx: ValidationContext): void {
  let pairs: Map<string, LinkModel[]> | undefined;
  for (const d of ctx.file.doc.decls) {
    switch (d.kind) {
      case 'boot':
        for (const p of d.pcrs) checkQuantity(ctx, p.index, L.pcr);
        break;
      case 'host':
        checkRepeats(ctx, d.props, 'host');
        for (const p of d.props) {
          if (p.key === 'cpus') checkQuantity(ctx, p.value, L.hostCpus);
          if (p.key === 'memory') checkQuantity(ctx, p.value, L.hostMemory);
          if (p.key === 'tpm') checkWord(ctx, p.value, ENUM_VALUES.keyAlgorithm, 'the TPM key algorithm');
        }
        break;
      case 'link': case 'network':
        checkRepeats(ctx, d.kind === 'network' ? [...(d.hostsSpan ? [{ key: 'hosts', keySpan: d.hostsSpan }] : []), ...d.props] : d.props, d.kind);
        if (d.kind === 'network') listRepeats(ctx, d.hosts, naming(ctx, d.name, (n) => `network '${n}'`));
        else linkRepeats(ctx, d, pairs ??= linksPerPair(ctx));
        for (const p of d.props) {
          if (p.key === 'bandwidth') checkQuantity(ctx, p.value, L.bandwidth);
          if (p.key === 'latency') checkQuantity(ctx, p.value, L.latency);
        }
        break;
      case 'vm': vmValues(ctx, d); break;
      case 'fork':
        checkRepeats(ctx, d.props, 'fork');
        for (const p of d.props) {
          if (p.key === 'attest hosts') listRepeats(ctx, p.value, 'the accepted boot chains');
          if (p.key === 'children') checkQuantity(ctx, p.value, L.children);
          if (p.key === 'memory' || p.key === 'disk') checkWord(ctx, p.value, ENUM_VALUES.copyMode, `fork ${p.key}`);
          if (p.key === 'integrity') {
            if (checkWord(ctx, p.mode, ENUM_VALUES.integrity, 'integrity')) {
              if (p.mode.text === 'batched') {
                if (!p.batch) ctx.report(p.mode.span, 'VMS003', 'integrity batched needs a batch size, e.g. `integrity batched 1024`');
                else checkQuantity(ctx, p.batch, L.batch);
              } else if (p.batch) ctx.report(p.batch.span, 'VMS003', `integrity ${p.mode.text} takes no batch size`);
            }
          }
        }
        break;
      case 'monitor': monitorValues(ctx, d); break;
      case 'checkpoint':
        checkRepeats(ctx, d.props, 'checkpoint');
        listRepeats(ctx, d.props.flatMap((p) => (p.key === 'exclude' ? p.value : [])), naming(ctx, d.name, (n) => `the exclusions of checkpoint '${n}'`));
        for (const p of d.props) {
          if (p.key === 'ipc') checkWord(ctx, p.value, ENUM_VALUES.checkpointIpc, 'checkpoint ipc');
          if (p.key === 'disk') checkWord(ctx, p.value, ENUM_VALUES.checkpointDisk, 'checkpoint disk');
        }
        break;
      case 'authority':
        checkRepeats(ctx, d.props, 'authority');
        for (const p of d.props) checkWord(ctx, p.value, ENUM_VALUES.keyAlgorithm, 'the authority key algorithm');
        if (d.props.length === 0 && declNamed(ctx, ctx.file.path, d)) ctx.report(d.name.span, 'VMS003', `authority '${d.name.text}' needs a key: \`key ecdsa-p256\` or \`key rsa-2048\``);
        break;
      case 'certificate':
        checkQuantity(ctx, d.valid, L.certificateValid);
        break;
      case 'attacker':
        // Actions repeat on different targets; `vm` names are judged by the namespace (VMS002 there).
        checkRepeats(ctx, d.props, 'attacker', ATTACK_REPEATABLE);
        attackRepeats(ctx, d.props);
        for (const p of d.props) {
          if (p.key === 'tamper' || p.key === 'drop' || p.key === 'replay') {
            checkQuantity(ctx, p.share, L.attackShare, `the share of messages to ${p.key}`);
          }
          if (p.key === 'tap' || p.key === 'tamper' || p.key === 'drop' || p.key === 'replay') linkTarget(ctx, d.name, p.key, p.key === 'tap' ? p.value : p.target);
        }
        break;
      case 'scenario': scenarioValues(ctx, d); break;
      default: break;
    }
  }
}

/** `a <-> b` names the link between two hosts: with none (or a host twice), the attack would act on nothing, and every `never sees` would pass. */
function linkTarget(ctx: ValidationContext, attacker: A.Ident, action: string, t: A.Target): void {
  if (!t.b || !nameWritten(ctx, ctx.file.path, attacker)) return;
  const a = ctx.model.hosts.get(t.a.text);
  const b = ctx.model.hosts.get(t.b.text);
  if (!a || !b) return; // VMS001 on the name already
  if (a === b) { ctx.report(t.span, 'VMS001', `'${t.a.text} <-> ${t.b.text}' joins a host to itself; ${action} a link between two hosts, or a network`); return; }
  if (linksBetween(ctx.model, a, b).length === 0) {
    ctx.report(t.span, 'VMS001', `no link or network joins '${a.name}' and '${b.name}', so attacker '${attacker.text}' would ${action} nothing; declare \`link ${a.name} <-> ${b.name} { }\` or name the network their traffic crosses`);
  }
}

function vmValues(ctx: ValidationContext, d: A.VmDecl): void {
  checkRepeats(ctx, d.props, 'vm');
  ipcRepeats(ctx, d.props);
  let vmMemory: number | undefined = 1024 ** 3;
  let procTotal = 0;
  for (const p of d.props) {
    switch (p.key) {
      case 'vcpus': checkQuantity(ctx, p.value, L.vmVcpus); break;
      case 'memory': vmMemory = checkQuantity(ctx, p.value, L.vmMemory) ? p.value.value : undefined; break;
      case 'disk': checkQuantity(ctx, p.value, L.vmDisk); break;
      case 'virtualization': checkWord(ctx, p.value, ENUM_VALUES.virtualization, 'virtualization'); break;
      case 'subnet': checkAddr(ctx, p.value, 'subnet', true); break;
      case 'workingset': checkQuantity(ctx, p.value, L.workingset); break;
      case 'ipc': checkWord(ctx, p.channel, ENUM_VALUES.ipcChannel, 'the IPC channel'); break;
      case 'process':
        checkRepeats(ctx, p.props, 'process', FILE_KEY);
        for (const x of p.props) {
          if (x.key === 'memory' && checkQuantity(ctx, x.value, L.processMemory)) procTotal += x.value.value;
        }
        break;
      default: break;
    }
  }
  if (vmMemory !== undefined && procTotal > vmMemory && declNamed(ctx, ctx.file.path, d)) {
    ctx.report(d.name.span, 'VMS003', `the processes of vm '${d.name.text}' need ${formatBytes(procTotal)} but the vm has ${formatBytes(vmMemory)} of memory; raise \`memory\` or shrink a process`);
  }
}

/** VMS002 for the same IPC edge twice (same ends, same direction, same channel). */
function ipcRepeats(ctx: ValidationContext, props: readonly A.VmProp[]): void {
  const seen = new Map<string, A.Span>();
  for (const p of props) {
    if (p.key !== 'ipc' || !p.from.text || !p.to.text || !p.channel.text) continue;
    const id = `${p.from.text} -> ${p.to.text} ${p.channel.text}`;
    const prev = seen.get(id);
    if (prev) ctx.report(p.keySpan, 'VMS002', `'ipc ${id}' is given twice in this vm (first at ${ctx.where(ctx.file.path, prev)}); keep one`);
    else seen.set(id, p.keySpan);
  }
}

function monitorValues(ctx: ValidationContext, d: A.MonitorDecl): void {
  checkRepeats(ctx, d.props, 'monitor');
  listRepeats(ctx, d.vms, naming(ctx, d.name, (n) => `the VMs of monitor '${n}'`));
  const action = (a: A.Action | undefined, allowed: readonly string[], what: string) => {
    if (!a) return;
    if (!allowed.includes(a.kind)) ctx.report(a.span, 'VMS003', `${what} must be ${allowed.join(' or ')}; found '${a.kind}'`);
    if (a.kind === 'deny') checkQuantity(ctx, a.code, L.errno);
  };
  for (const p of d.props) {
    switch (p.key) {
      case 'mode': checkWord(ctx, p.value, ENUM_VALUES.monitorMode, 'monitor mode'); break;
      case 'buffer': checkQuantity(ctx, p.size, L.buffer); break;
      case 'default': action(p.action, ENUM_VALUES.defaultAction, 'a monitor default'); break;
      case 'escalate':
        checkQuantity(ctx, p.count, L.escalateCount);
        checkQuantity(ctx, p.window, L.escalateWindow);
        action(p.action, ENUM_VALUES.escalateAction, 'an escalation');
        break;
      case 'rule':
        listRepeats(ctx, p.calls, naming(ctx, p.name, (n) => `the system calls of rule '${n}'`));
        for (const a of p.actions) action(a, ['allow', 'deny', 'killProc', 'policyChange', 'pause', 'terminate', 'migrate'], 'a rule action');
        if (nameWritten(ctx, ctx.file.path, p.name) && p.actions.some((a) => a?.kind === 'allow') && p.actions.some((a) => a?.kind === 'deny')) {
          ctx.report(p.name.span, 'VMS003', `rule '${p.name.text}' both allows and denies; keep one of them`);
        }
        if (p.when) condValues(ctx, p.when);
        break;
    }
  }
}

function condValues(ctx: ValidationContext, c: A.Cond): void {
  switch (c.kind) {
    case 'or': case 'and': c.operands.forEach((o) => condValues(ctx, o)); break;
    case 'not': condValues(ctx, c.operand); break;
    case 'fileEq': case 'filePrefix': checkQuantity(ctx, c.index, L.argIndex); break;
    case 'port': checkQuantity(ctx, c.port, L.port); break;
    case 'ip': checkAddr(ctx, c.addr, 'ip()', false); break;
    default: break;
  }
}

function scenarioValues(ctx: ValidationContext, d: A.ScenarioDecl): void {
  checkRepeats(ctx, d.items, 'scenario');
  for (const it of d.items) {
    if (it.key === 'seed') checkQuantity(ctx, it.value, L.seed);
    if (it.key === 'step') {
      checkQuantity(ctx, it.at, L.stepAt);
      const b = it.body;
      if (b.kind === 'syscall' || b.kind === 'write' || b.kind === 'migrate') childIndex(ctx, b.vm);
      if (b.kind === 'syscall') for (const a of b.args) syscallArg(ctx, a);
    }
    if (it.key === 'expect') {
      const b = it.body;
      if (b.kind === 'attestation' && b.pcr) checkQuantity(ctx, b.pcr, L.pcr);
      if (b.kind === 'ready') checkQuantity(ctx, b.within, L.readyWithin);
      if (b.kind === 'pages' || b.kind === 'verdicts') checkQuantity(ctx, b.count, L.expectCount);
      if (b.kind === 'state' || b.kind === 'write') childIndex(ctx, b.vm);
    }
  }
}

const ARG_KINDS = 'a string, a whole number or an IPv4 address';

/** LANGUAGE.md §2: a syscall argument is STRING | INT | IPV4; a size, a fraction or a CIDR block is none of them. */
function syscallArg(ctx: ValidationContext, a: A.Arg): void {
  if ('ip' in a) {
    if (a.prefix !== undefined) ctx.report(a.span, 'VMS003', `a system call argument is ${ARG_KINDS}; '${a.text}' is a CIDR block — write the address alone`);
    else checkAddr(ctx, a, 'an address argument', false);
  } else if ('kind' in a && a.text) {
    if (a.kind !== 'number') ctx.report(a.span, 'VMS003', `a system call argument is ${ARG_KINDS}; '${a.text}' is ${KIND_TEXT[a.kind]}`);
    else if (a.text.includes('.')) ctx.report(a.span, 'VMS003', `a system call argument is ${ARG_KINDS}; '${a.text}' is not a whole number`);
  }
}

/** `burst[3]` names child 3: it must exist in the fork's plan. */
function childIndex(ctx: ValidationContext, r: A.VmRef): void {
  if (!r.index) return;
  if (!checkQuantity(ctx, r.index, L.childIndex)) return;
  const fork = ctx.model.forks.get(r.name.text);
  // A `children` out of range is reported there and stands for the default: do not judge indexes against that.
  const written = fork && (fork.decl as A.ForkDecl).props.find((p) => p.key === 'children') as A.ValueProp<'children', A.Quantity> | undefined;
  if (written && within(written.value, L.children) === undefined) return;
  if (fork && r.index.value > fork.children) {
    ctx.report(r.index.span, 'VMS003', `fork '${fork.name}' has ${fork.children} ${fork.children === 1 ? 'child' : 'children'}; ${r.name.text}[${r.index.value}] does not exist (children are numbered from 1)`);
  }
}
