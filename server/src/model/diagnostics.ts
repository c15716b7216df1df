// The diagnostic type shared by every stage, and the table of VMS codes
// (LANGUAGE.md §4 plus the codes this project adds). Numbers are never reused.
import type { Span } from '../../../grammar/src/ast';

export type Severity = 'error' | 'warning' | 'info';

export interface RelatedInfo { path: string; span: Span; message: string }

export interface Diagnostic {
  path: string;
  span: Span;
  severity: Severity;
  code: Code;
  message: string;
  related?: RelatedInfo[];
  /** Machine-readable facts for quick fixes (e.g. the name to declare). */
  data?: Record<string, unknown>;
}

export const CODES = {
  VMS000: { severity: 'error', summary: 'syntax error' },
  VMS001: { severity: 'error', summary: 'a name is used but not declared' },
  VMS002: { severity: 'error', summary: 'a name or a property is declared twice' },
  VMS003: { severity: 'error', summary: 'a value out of range or of the wrong unit or kind' },
  VMS004: { severity: 'error', summary: 'an import cannot be read, or imports form a cycle' },
  VMS005: { severity: 'warning', summary: 'an unknown escape in a string; it stands for the character itself' },
  VMS009: { severity: 'info', summary: 'more problems in this file than are shown' },
  VMS010: { severity: 'error', summary: 'attestation of a host without a TPM, or of a VM without a vTPM' },
  VMS011: { severity: 'warning', summary: 'a fork sends to a host without attesting it' },
  VMS012: { severity: 'warning', summary: 'no page integrity over a link an attacker tampers with, drops or replays' },
  VMS013: { severity: 'warning', summary: 'confidential memory forked in clear over a tapped link' },
  VMS014: { severity: 'error', summary: 'the children placed on a host need more memory (or cpus) than it has' },
  VMS015: { severity: 'error', summary: 'no link or network joins the fork source and a target' },
  VMS016: { severity: 'error', summary: 'a name refers to a declaration of the wrong kind' },
  VMS017: { severity: 'warning', summary: 'a host attested against a policy measures a PCR that the policy does not name' },
  VMS018: { severity: 'error', summary: 'a VM needs more memory or vcpus than its host has' },
  VMS020: { severity: 'warning', summary: 'a monitor rule can never fire' },
  VMS021: { severity: 'warning', summary: 'a monitor rule or a syscall step names a call Linux does not have' },
  VMS030: { severity: 'warning', summary: 'a checkpoint keeps a confidential process' },
  VMS031: { severity: 'warning', summary: 'an excluded process has IPC with a kept one' },
  VMS040: { severity: 'error', summary: 'vTPM on an OS-level VM, or sharing across hosts or non-OS-level VMs' },
  VMS050: { severity: 'warning', summary: 'a VM shares its host with an attacker VM (co-residency)' },
} as const satisfies Record<string, { severity: Severity; summary: string }>;

export type Code = keyof typeof CODES;

export function diag(path: string, span: Span, code: Code, message: string, extra?: Partial<Diagnostic>): Diagnostic {
  return { path, span, severity: CODES[code].severity, code, message, ...extra };
}
