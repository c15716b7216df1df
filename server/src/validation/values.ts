// VMS003: values out of range, of the wrong unit or not one of the allowed
// words; VMS002: a property given twice in one block.
import type * as A from '../../../grammar/src/ast';
import { formatBytes } from '../../../grammar/src/literals';
import { closest } from '../../../grammar/src/suggest';
import type { ValidationContext } from './context';

type Want = A.QuantityKind | 'int';
interface Rule { want: Want; what: string; example: string; min?: number; max?: number; pageMultiple?: boolean }

const KIND_TEXT: Record<A.QuantityKind, string> = {
  number: 'a plain number', size: 'a size', rate: 'a rate', duration: 'a duration', percent: 'a percentage',
};
const PAGE = 4096;

/** Checks one quantity; NaN values come from parse recovery and are already reported. */
export function checkQuantity(ctx: ValidationContext, q: A.Quantity | undefined, r: Rule): boolean {
  if (!q || Number.isNaN(q.number)) return false;
  const kind: A.QuantityKind = r.want === 'int' ? 'number' : r.want;
  // A bare 0 is a fine duration, size or percentage.
  const zeroOk = q.kind === 'number' && q.number === 0;
  if (q.kind !== kind && !zeroOk) {
    ctx.report(q.span, 'VMS003', `${r.what} needs ${r.want === 'int' ? 'a whole number' : KIND_TEXT[kind]} such as ${r.example}; '${q.text}' is ${KIND_TEXT[q.kind]}`);
    return false;
  }
  const v = q.kind === kind ? q.value : 0;
  if (r.want === 'int' && !Number.isInteger(v)) {
    ctx.report(q.span, 'VMS003', `${r.what} must be a whole number; found '${q.text}'`);
    return false;
  }
  const show = (n: number) => (kind === 'size' ? formatBytes(n) : kind === 'percent' ? `${n}%` : kind === 'duration' ? `${n} us` : String(n));
  if ((r.min !== undefined && v < r.min) || (r.max !== undefined && v > r.max)) {
    const range = r.max === undefined ? `at least ${show(r.min!)}` : r.min === undefined ? `at most ${show(r.max)}` : `between ${show(r.min)} and ${show(r.max)}`;
    ctx.report(q.span, 'VMS003', `${r.what} must be ${range}; found '${q.text}'`);
    return false;
  }
  if (r.pageMultiple && v % PAGE !== 0) {
    ctx.report(q.span, 'VMS003', `${r.what} must be a multiple of 4 KiB (one page); '${q.text}' is not — try ${formatBytes(Math.ceil(v / PAGE) * PAGE)}`);
    return false;
  }
  return true;
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

function checkRepeats(ctx: ValidationContext, props: readonly { key: string; keySpan: A.Span }[], block: string): void {
  const seen = new Map<string, A.Span>();
  for (const p of props) {
    if (REPEATABLE.has(p.key)) continue;
    const prev = seen.get(p.key);
    if (prev) ctx.report(p.keySpan, 'VMS002', `'${p.key}' is given twice in this ${block} (first at ${ctx.where(ctx.file.path, prev)}); keep one`);
    else seen.set(p.key, p.keySpan);
  }
}

const SIZE = { example: '4 GiB', pageMultiple: true };

export function checkValues(ctx: ValidationContext): void {
  for (const d of ctx.file.doc.decls) {
    switch (d.kind) {
      case 'boot':
        for (const p of d.pcrs) checkQuantity(ctx, p.index, { want: 'int', what: 'a PCR index', example: '8', min: 0, max: 23 });
        break;
      case 'host':
        checkRepeats(ctx, d.props, 'host');
        for (const p of d.props) {
          if (p.key === 'cpus') checkQuantity(ctx, p.value, { want: 'int', what: 'cpus', example: '16', min: 1 });
          if (p.key === 'memory') checkQuantity(ctx, p.value, { want: 'size', what: 'host memory', min: PAGE, ...SIZE });
          if (p.key === 'tpm') checkWord(ctx, p.value, ['ecdsa-p256', 'rsa-2048'], 'the TPM key algorithm');
        }
        break;
      case 'link': case 'network':
        checkRepeats(ctx, d.kind === 'network' ? [...(d.hostsSpan ? [{ key: 'hosts', keySpan: d.hostsSpan }] : []), ...d.props] : d.props, d.kind);
        for (const p of d.props) {
          if (p.key === 'bandwidth') checkQuantity(ctx, p.value, { want: 'rate', what: 'bandwidth', example: '10 Gbps', min: 1 });
          if (p.key === 'latency') checkQuantity(ctx, p.value, { want: 'duration', what: 'latency', example: '200 us', min: 0 });
        }
        break;
      case 'vm': vmValues(ctx, d); break;
      case 'fork':
        checkRepeats(ctx, d.props, 'fork');
        for (const p of d.props) {
          if (p.key === 'children') checkQuantity(ctx, p.value, { want: 'int', what: 'children', example: '8', min: 1, max: 100_000 });
          if (p.key === 'memory' || p.key === 'disk') checkWord(ctx, p.value, ['lazy', 'eager'], `fork ${p.key}`);
          if (p.key === 'integrity') {
            if (checkWord(ctx, p.mode, ['per-page', 'batched', 'none'], 'integrity')) {
              if (p.mode.text === 'batched') {
                if (!p.batch) ctx.report(p.mode.span, 'VMS003', 'integrity batched needs a batch size, e.g. `integrity batched 1024`');
                else checkQuantity(ctx, p.batch, { want: 'int', what: 'the batch size', example: '1024', min: 2, max: 1 << 20 });
              } else if (p.batch) ctx.report(p.batch.span, 'VMS003', `integrity ${p.mode.text} takes no batch size`);
            }
          }
        }
        break;
      case 'monitor': monitorValues(ctx, d); break;
      case 'checkpoint':
        checkRepeats(ctx, d.props, 'checkpoint');
        for (const p of d.props) {
          if (p.key === 'ipc') checkWord(ctx, p.value, ['follow', 'warn', 'ignore'], 'checkpoint ipc');
          if (p.key === 'disk') checkWord(ctx, p.value, ['include', 'exclude'], 'checkpoint disk');
        }
        break;
      case 'authority':
        checkRepeats(ctx, d.props, 'authority');
        for (const p of d.props) checkWord(ctx, p.value, ['ecdsa-p256', 'rsa-2048'], 'the authority key algorithm');
        if (d.props.length === 0) ctx.report(d.name.span, 'VMS003', `authority '${d.name.text}' needs a key: \`key ecdsa-p256\` or \`key rsa-2048\``);
        break;
      case 'certificate':
        checkQuantity(ctx, d.valid, { want: 'duration', what: 'certificate validity', example: '1 h', min: 1 });
        break;
      case 'attacker':
        checkRepeats(ctx, d.props, 'attacker');
        for (const p of d.props) {
          if (p.key === 'tamper' || p.key === 'drop' || p.key === 'replay') {
            checkQuantity(ctx, p.share, { want: 'percent', what: `the share of messages to ${p.key}`, example: '2%', min: 0, max: 100 });
          }
        }
        break;
      case 'scenario': scenarioValues(ctx, d); break;
      default: break;
    }
  }
}

function vmValues(ctx: ValidationContext, d: A.VmDecl): void {
  checkRepeats(ctx, d.props, 'vm');
  let vmMemory: number | undefined = 1024 ** 3;
  let procTotal = 0;
  for (const p of d.props) {
    switch (p.key) {
      case 'vcpus': checkQuantity(ctx, p.value, { want: 'int', what: 'vcpus', example: '4', min: 1 }); break;
      case 'memory': vmMemory = checkQuantity(ctx, p.value, { want: 'size', what: 'vm memory', min: PAGE, ...SIZE }) ? p.value.value : undefined; break;
      case 'disk': checkQuantity(ctx, p.value, { want: 'size', what: 'disk', example: '8 GiB', min: PAGE, pageMultiple: true }); break;
      case 'virtualization': checkWord(ctx, p.value, ['full', 'para', 'emulation', 'os-level'], 'virtualization'); break;
      case 'subnet': checkAddr(ctx, p.value, 'subnet', true); break;
      case 'workingset': checkQuantity(ctx, p.value, { want: 'percent', what: 'workingset', example: '12%', min: 0, max: 100 }); break;
      case 'ipc': checkWord(ctx, p.channel, ['pipe', 'socket', 'shm', 'tty'], 'the IPC channel'); break;
      case 'process':
        checkRepeats(ctx, p.props.filter((x) => x.key !== 'file'), 'process');
        for (const x of p.props) {
          if (x.key === 'memory' && checkQuantity(ctx, x.value, { want: 'size', what: 'process memory', min: 0, ...SIZE })) procTotal += x.value.value;
        }
        break;
      default: break;
    }
  }
  if (vmMemory !== undefined && procTotal > vmMemory) {
    ctx.report(d.name.span, 'VMS003', `the processes of vm '${d.name.text}' need ${formatBytes(procTotal)} but the vm has ${formatBytes(vmMemory)} of memory; raise \`memory\` or shrink a process`);
  }
}

function monitorValues(ctx: ValidationContext, d: A.MonitorDecl): void {
  checkRepeats(ctx, d.props, 'monitor');
  const action = (a: A.Action | undefined, allowed: readonly string[], what: string) => {
    if (!a) return;
    if (!allowed.includes(a.kind)) ctx.report(a.span, 'VMS003', `${what} must be ${allowed.join(' or ')}; found '${a.kind}'`);
    if (a.kind === 'deny') checkQuantity(ctx, a.code, { want: 'int', what: 'the errno of deny', example: '13 (EACCES)', min: 1, max: 4095 });
  };
  for (const p of d.props) {
    switch (p.key) {
      case 'mode': checkWord(ctx, p.value, ['concurrent', 'serial'], 'monitor mode'); break;
      case 'buffer': checkQuantity(ctx, p.size, { want: 'int', what: 'the buffer size (events)', example: '4096', min: 1, max: 1 << 24 }); break;
      case 'default': action(p.action, ['allow', 'deny'], 'a monitor default'); break;
      case 'escalate':
        checkQuantity(ctx, p.count, { want: 'int', what: 'the violation count', example: '3', min: 1 });
        checkQuantity(ctx, p.window, { want: 'duration', what: 'the escalation window', example: '10 s', min: 1 });
        action(p.action, ['pause', 'terminate', 'migrate'], 'an escalation');
        break;
      case 'rule':
        for (const a of p.actions) action(a, ['allow', 'deny', 'killProc', 'policyChange', 'pause', 'terminate', 'migrate'], 'a rule action');
        if (p.actions.some((a) => a?.kind === 'allow') && p.actions.some((a) => a?.kind === 'deny')) {
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
    case 'fileEq': case 'filePrefix': checkQuantity(ctx, c.index, { want: 'int', what: 'the argument index', example: '0', min: 0, max: 5 }); break;
    case 'port': checkQuantity(ctx, c.port, { want: 'int', what: 'a port', example: '443', min: 0, max: 65535 }); break;
    case 'ip': checkAddr(ctx, c.addr, 'ip()', false); break;
    default: break;
  }
}

function scenarioValues(ctx: ValidationContext, d: A.ScenarioDecl): void {
  checkRepeats(ctx, d.items.map((i) => ({ key: i.key, keySpan: i.keySpan })), 'scenario');
  const count = { want: 'int' as const, what: 'a count', example: '0', min: 0 };
  for (const it of d.items) {
    if (it.key === 'seed') checkQuantity(ctx, it.value, { want: 'int', what: 'the seed', example: '7', min: 0, max: 2 ** 53 - 1 });
    if (it.key === 'step') {
      checkQuantity(ctx, it.at, { want: 'duration', what: 'a step time', example: '1500 ms', min: 0 });
      const b = it.body;
      if (b.kind === 'syscall' || b.kind === 'write' || b.kind === 'migrate') childIndex(ctx, b.vm);
      if (b.kind === 'syscall') for (const a of b.args) if ('ip' in a) checkAddr(ctx, a, 'an address argument', false);
    }
    if (it.key === 'expect') {
      const b = it.body;
      if (b.kind === 'attestation' && b.pcr) checkQuantity(ctx, b.pcr, { want: 'int', what: 'a PCR index', example: '8', min: 0, max: 23 });
      if (b.kind === 'ready') checkQuantity(ctx, b.within, { want: 'duration', what: 'a readiness bound', example: '1 s', min: 0 });
      if (b.kind === 'pages' || b.kind === 'verdicts') checkQuantity(ctx, b.count, count);
      if (b.kind === 'state' || b.kind === 'write') childIndex(ctx, b.vm);
    }
  }
}

/** `burst[3]` names child 3: it must exist in the fork's plan. */
function childIndex(ctx: ValidationContext, r: A.VmRef): void {
  if (!r.index) return;
  if (!checkQuantity(ctx, r.index, { want: 'int', what: 'a child index', example: '1', min: 1 })) return;
  const fork = ctx.model.forks.get(r.name.text);
  if (fork && r.index.value > fork.children) {
    ctx.report(r.index.span, 'VMS003', `fork '${fork.name}' has ${fork.children} ${fork.children === 1 ? 'child' : 'children'}; ${r.name.text}[${r.index.value}] does not exist (children are numbered from 1)`);
  }
}
