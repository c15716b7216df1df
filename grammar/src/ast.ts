// The typed syntax tree of a .vmsec file. Every node keeps its source span
// (offsets into the file text, end exclusive) so that diagnostics, hovers and
// inline results point at the exact name or value. Nodes hold what was written;
// defaults and resolved references live in the model, not here.

export interface Span { start: number; end: number }

export interface Ident { text: string; span: Span }
/** A string; `escapes` lists escapes other than `\"` `\\` `\n` `\t`, which stand for the character itself (VMS005). */
export interface Str { value: string; span: Span; escapes?: { text: string; span: Span }[] }
export interface DigestLit { hex: string; span: Span }
/** An IPv4 address or CIDR block. */
export interface Addr { text: string; ip: number; prefix?: number; span: Span }

export type QuantityKind = 'number' | 'size' | 'rate' | 'duration' | 'percent';
/**
 * A number with an optional unit. `value` is canonical for its kind:
 * bytes (size), bits per second (rate), microseconds (duration), percent
 * points (percent) or the plain number.
 */
export interface Quantity {
  text: string;
  number: number;
  unit: string;
  kind: QuantityKind;
  value: number;
  span: Span;
}

/** One property line inside a block: its keyword and the whole line. */
export interface PropBase<K extends string> { key: K; keySpan: Span; span: Span }
export type ValueProp<K extends string, V> = PropBase<K> & { value: V };
export type FlagProp<K extends string> = PropBase<K>;

export type Decl =
  | ImportDecl | BootDecl | HostDecl | LinkDecl | NetworkDecl | VmDecl | ForkDecl | MonitorDecl
  | CheckpointDecl | AuthorityDecl | CertificateDecl | ShareDecl | AttackerDecl | ScenarioDecl;

interface DeclBase {
  keywordSpan: Span; span: Span;
  /**
   * Property words written in the block that could not be read (a syntax
   * error says why); absent when every property was read. The validator does
   * not also warn that these are missing (validation/syntax.ts unreadProperty).
   */
  broken?: string[];
}

export interface ImportDecl extends DeclBase { kind: 'import'; path: Str }

export interface PcrEntry extends PropBase<'pcr'> { index: Quantity; measurements: (Str | DigestLit)[] }
export interface BootDecl extends DeclBase { kind: 'boot'; name: Ident; pcrs: PcrEntry[] }

export type HostProp =
  | ValueProp<'cpus', Quantity> | ValueProp<'memory', Quantity> | ValueProp<'hypervisor', Ident>
  | ValueProp<'tpm', Ident> | ValueProp<'boot', Ident> | ValueProp<'tenant', Ident>;
export interface HostDecl extends DeclBase { kind: 'host'; name: Ident; props: HostProp[] }

export type LinkProp = ValueProp<'bandwidth', Quantity> | ValueProp<'latency', Quantity>;
export interface LinkDecl extends DeclBase { kind: 'link'; a: Ident; b: Ident; props: LinkProp[] }
export interface NetworkDecl extends DeclBase { kind: 'network'; name: Ident; hosts: Ident[]; hostsSpan?: Span; props: LinkProp[] }

export type ProcProp = ValueProp<'memory', Quantity> | FlagProp<'confidential'> | ValueProp<'file', Str>;
export interface ProcessDecl extends PropBase<'process'> { name: Ident; props: ProcProp[] }
export interface IpcDecl extends PropBase<'ipc'> { from: Ident; to: Ident; channel: Ident }
export type VmProp =
  | ValueProp<'vcpus', Quantity> | ValueProp<'memory', Quantity> | ValueProp<'disk', Quantity>
  | ValueProp<'virtualization', Ident> | FlagProp<'vtpm'> | ValueProp<'tenant', Ident>
  | ValueProp<'subnet', Addr> | ValueProp<'workingset', Quantity> | ProcessDecl | IpcDecl;
export interface VmDecl extends DeclBase { kind: 'vm'; name: Ident; host: Ident; props: VmProp[] }

export type ForkProp =
  | ValueProp<'children', Quantity> | ValueProp<'on', Ident[]> | ValueProp<'memory', Ident>
  | ValueProp<'disk', Ident> | FlagProp<'multicast'> | ValueProp<'attest hosts', Ident[]>
  | FlagProp<'attest vtpm'> | (PropBase<'integrity'> & { mode: Ident; batch?: Quantity })
  | FlagProp<'encrypt'> | FlagProp<'transient'> | FlagProp<'isolate'>;
export interface ForkDecl extends DeclBase { kind: 'fork'; name: Ident; parent: Ident; props: ForkProp[] }

export type Cond =
  | { kind: 'or' | 'and'; operands: Cond[]; span: Span }
  | { kind: 'not'; operand: Cond; span: Span }
  | { kind: 'fileEq' | 'filePrefix'; index: Quantity; value: Str; span: Span }
  | { kind: 'ip'; addr: Addr; span: Span }
  | { kind: 'port'; port: Quantity; span: Span }
  | { kind: 'process'; name: Ident; span: Span };

export type VmActionKind = 'pause' | 'terminate' | 'migrate';
export type Action =
  | { kind: 'allow' | 'killProc' | 'pause' | 'terminate'; span: Span }
  | { kind: 'deny'; code: Quantity; span: Span }
  | { kind: 'policyChange'; monitor: Ident; span: Span }
  | { kind: 'migrate'; to?: Ident; span: Span };

export interface RuleDecl extends PropBase<'rule'> { name: Ident; calls: Ident[]; when?: Cond; actions: Action[] }
export type MonProp =
  | ValueProp<'mode', Ident>
  | (PropBase<'buffer'> & { size: Quantity; policy?: Ident })
  | (PropBase<'default'> & { action: Action })
  | RuleDecl
  | (PropBase<'escalate'> & { count: Quantity; window: Quantity; action: Action });
export interface MonitorDecl extends DeclBase { kind: 'monitor'; name: Ident; vms: Ident[]; props: MonProp[] }

export type CkProp =
  | ValueProp<'exclude', Ident[]> | ValueProp<'ipc', Ident> | ValueProp<'disk', Ident> | ValueProp<'to', Str>;
export interface CheckpointDecl extends DeclBase { kind: 'checkpoint'; name: Ident; vm: Ident; props: CkProp[] }

export interface AuthorityDecl extends DeclBase { kind: 'authority'; name: Ident; props: ValueProp<'key', Ident>[] }
export interface CertificateDecl extends DeclBase { kind: 'certificate'; name: Ident; subject: Ident; authority: Ident; valid: Quantity }
export interface ShareDecl extends DeclBase { kind: 'share'; path: Str; vms: Ident[]; requireCertificate: boolean }

export interface Target { a: Ident; b?: Ident; span: Span }
export type AtkProp =
  | ValueProp<'tenant', Ident> | ValueProp<'tap', Target>
  | (PropBase<'tamper' | 'drop' | 'replay'> & { target: Target; share: Quantity })
  | (PropBase<'vm'> & { name: Ident; host: Ident })
  | ValueProp<'steal', Ident>;
export interface AttackerDecl extends DeclBase { kind: 'attacker'; name: Ident; props: AtkProp[] }

export interface VmRef { name: Ident; index?: Quantity; span: Span }
export type Arg = Str | Quantity | Addr;

export type StepBody =
  | { kind: 'fork'; fork: Ident }
  | { kind: 'syscall'; vm: VmRef; process: Ident; call: Ident; args: Arg[] }
  | { kind: 'checkpoint'; checkpoint: Ident }
  | { kind: 'restore'; checkpoint: Ident; as: Ident; host: Ident }
  | { kind: 'write'; vm: VmRef; path: Str }
  | { kind: 'migrate'; vm: VmRef; host: Ident }
  | { kind: 'rotate'; certificate: Ident }
  | { kind: 'present'; certificate: Ident; path: Str };

export type Comparison = '==' | '!=' | '<' | '<=' | '>' | '>=';
export type ExpectBody =
  | { kind: 'attestation'; host: Ident; passes: boolean; pcr?: Quantity }
  | { kind: 'ready'; fork: Ident; within: Quantity }
  | { kind: 'pages'; fork: Ident; which: 'rejected' | 'verified' | 'fetched'; host?: Ident; cmp: Comparison; count: Quantity }
  | { kind: 'no-tampered' }
  | { kind: 'verdicts'; monitor: Ident; which: 'denies' | 'kills' | 'allows'; cmp: Comparison; count: Quantity }
  | { kind: 'state'; vm: VmRef; state: 'running' | 'paused' | 'terminated' | 'migrated' }
  | { kind: 'excludes'; checkpoint: Ident; processes: Ident[] }
  | { kind: 'sees'; attacker: Ident; never: boolean }
  | { kind: 'write'; vm: VmRef; path: Str; allowed: boolean };

export type ScenarioItem =
  | (PropBase<'seed'> & { value: Quantity })
  | (PropBase<'step'> & { at: Quantity; body: StepBody })
  | (PropBase<'expect'> & { body: ExpectBody });
export interface ScenarioDecl extends DeclBase { kind: 'scenario'; title: Str; items: ScenarioItem[] }

/** A problem found while lexing or parsing; `code` is always VMS000. */
/** `more`: not a problem itself but the count of those left out past the cap. */
export interface SyntaxProblem {
  message: string; span: Span; more?: number;
  /** A word where a declaration is due (parse.ts): read as the declaration it is a typo of, or skipped with what follows. */
  topLevel?: { word: string; typo: boolean };
  /** The keyword a mismatch here expected (`expected 'of' but found 'web'`). */
  expected?: string;
  /** An unknown unit after a bare number, as written (`mib` in `512 mib`): the number is part of this one mistake. */
  unit?: string;
}

export interface Comment { text: string; span: Span; block: boolean }

export interface Document {
  decls: Decl[];
  comments: Comment[];
  problems: SyntaxProblem[];
}

/** Names a declaration introduces into the shared namespace, with their kind. */
export type SymbolKind =
  | 'boot' | 'host' | 'network' | 'vm' | 'fork' | 'monitor' | 'checkpoint' | 'authority'
  | 'certificate' | 'attacker' | 'attacker-vm';
