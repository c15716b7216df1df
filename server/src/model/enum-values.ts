// The words an enumerated property accepts (LANGUAGE.md §2). The parser reads
// them as names; one list each here serves the validator (VMS003 with a
// did-you-mean), completion and the semantic model's types.

export const ENUM_VALUES = {
  /** `host … { tpm K }`, `authority … { key K }` */
  keyAlgorithm: ['ecdsa-p256', 'rsa-2048'],
  /** `vm … { virtualization V }` */
  virtualization: ['full', 'para', 'emulation', 'os-level'],
  /** `vm … { ipc A -> B C }` */
  ipcChannel: ['pipe', 'socket', 'shm', 'tty'],
  /** `fork … { memory M }`, `fork … { disk M }` */
  copyMode: ['lazy', 'eager'],
  /** `fork … { integrity I }` */
  integrity: ['per-page', 'batched', 'none'],
  /** `monitor … { mode M }` */
  monitorMode: ['concurrent', 'serial'],
  /** `checkpoint … { ipc I }` */
  checkpointIpc: ['follow', 'warn', 'ignore'],
  /** `checkpoint … { disk D }` */
  checkpointDisk: ['include', 'exclude'],
  /** `monitor … { default A }` (deny with its code) */
  defaultAction: ['allow', 'deny'],
  /** `escalate … then A` (migrate with an optional target) */
  escalateAction: ['pause', 'terminate', 'migrate'],
} as const;

export type EnumName = keyof typeof ENUM_VALUES;
export type EnumValue<E extends EnumName> = (typeof ENUM_VALUES)[E][number];
