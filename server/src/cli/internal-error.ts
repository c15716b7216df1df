// The last resort of the exit-code contract: an unexpected exception is
// "vmsec: internal error: …" and exit 2, never a raw stack trace (the stack
// with VMSEC_DEBUG=1). Small on purpose: the dispatcher loads it on every start.
import { escapeControl } from '../model/escape-text';

export function internalError(e: unknown): number {
  const message = e instanceof Error ? e.message : String(e);
  const err = (text: string) => process.stderr.write(text.split('\n').map(escapeControl).join('\n') + '\n');
  // The message is one line whatever it quotes; the stack (VMSEC_DEBUG=1) is many.
  process.stderr.write(`vmsec: internal error: ${escapeControl(message)}\n`);
  process.stderr.write(`please report this with the command and files that caused it: https://github.com/vmsec/vmsec/issues\n`);
  if (process.env.VMSEC_DEBUG === '1' && e instanceof Error && e.stack) err(e.stack);
  else process.stderr.write('(set VMSEC_DEBUG=1 to see where it happened)\n');
  return 2;
}
