// Hand-written cases, one per class of failure reported in issue 9, that
// every fuzz run tries first (fast-check `examples`): the random cases find
// new classes, these make sure the known ones stay fixed.
import type { Case, CkptCase, RunCmd, SourceCase } from './harness';
import type { Op } from './mutators';

const run = (out: RunCmd['out'] = 'none'): RunCmd => ({ kind: 'run', format: 'text', scenario: null, out });
const check = { kind: 'check' as const, folder: false, format: 'text' as const, root: false };
const src = (seed: string, ops: Op[], cmd: SourceCase['cmd']): SourceCase => ({ kind: 'source', seed, ops, cmd });
const to = (path: string) => [{ op: 'replace' as const, file: 0, find: '"checkpoints/clinic-safe.ckpt"', text: JSON.stringify(path) }];
const PC = 'small:private-checkpoint.vmsec';

export const SOURCE_EXAMPLES: SourceCase[] = [
  src(PC, to('private-checkpoint.vmsec'), run()),                    // replaces its own source
  src(PC, to('link-out/new.ckpt'), run()),                           // through a symlinked folder
  src(PC, to('checkpoints/evil.ckpt'), run()),                       // onto a symlinked file outside
  src(PC, to('notes.txt'), run('root')),                             // an existing non-checkpoint file
  src(PC, to('../escape.ckpt'), run('both')),                        // `..` with --root and --checkpoint-dir
  src(PC, to('newdir/'), run()),                                     // a folder-like target
  src(PC, to('fifo.ckpt'), run()),                                   // a FIFO as the target
  src(PC, to('dir.ckpt'), run()),                                    // an existing folder as the target
  src('small:fleet', [{ op: 'replace', file: 0, find: 'import "hosts.vmsec"', text: 'import "hosts.vmsec"\nimport "fifo.vmsec"' }], check),
  src('small:fleet', [                                               // a `..` path in an imported file
    { op: 'replace', file: 1, find: '}\n\nnetwork', text: '}\ncheckpoint lib of api { to "../../x.ckpt" }\n\nnetwork' },
    { op: 'replace', file: 0, find: 'at 2 s ', text: 'at 1 s checkpoint lib\n  at 2 s ' },
  ], run()),
  src('trusted-fork.vmsec', [{ op: 'replace', file: 0, find: 'children 6', text: 'children 100000000000000000000' }], check),
  src('small:trusted-fork.vmsec', [{ op: 'replace', file: 0, find: 'vcpus 4', text: 'vcpus 4294967296' }], run()),
  src('small:monitoring.vmsec', [{ op: 'replace', file: 0, find: 'at 50 ms', text: 'at 100000000000000000000 h' }], run()),
  src('small:fleet', [{ op: 'replace', file: 0, find: 'syscall scale[2]', text: 'syscall scale [' }], check),
  src('small:cow-sharing.vmsec', [{ op: 'bom', file: 0 }, { op: 'replace', file: 0, find: 'host node1', text: 'host\u00a0node1' }], check),
  src('small:cow-sharing.vmsec', [{ op: 'replace', file: 0, find: '"only certified writers"', text: '".."' }], run('export-quotes')),
  src('small:cow-sharing.vmsec', [{ op: 'replace', file: 0, find: '"only certified writers"', text: '"\u001b[2Jred\u0007"' }], { kind: 'run', format: 'junit', scenario: null, out: 'none' }),
  src('small:monitoring.vmsec', [{ op: 'deep', file: 0, at: 0, depth: 20000, form: 'parens' }], check),
];

const ck = (c: Partial<CkptCase>): CkptCase => ({ kind: 'ckpt', base: 'quick', ops: [], reseal: false, format: 'text', target: 'damaged', ...c });

export const CKPT_EXAMPLES: CkptCase[] = [
  ck({ ops: [{ op: 'flip', at: 1_000_000, bit: 3, head: false }] }),                // one bit in the records
  ck({ ops: [{ op: 'truncate', at: 100 }] }),                                       // cut inside the manifest
  ck({ ops: [{ op: 'mset', leaf: 1, value: 14 }], reseal: true }),                  // control characters in a name, digests fixed up
  ck({ ops: [{ op: 'mset', leaf: 0, value: 12 }], reseal: true, format: 'json' }),  // a manifest of the wrong shape
  ck({ ops: [{ op: 'mlen', value: 0xffffffff }] }),                                 // a length far past the end
  ck({ target: 'fifo.ckpt' }),
  ck({ target: 'dir.ckpt' }),
  ck({ target: 'magic-only' }),
];

export const EXAMPLES: Case[] = [...SOURCE_EXAMPLES, ...CKPT_EXAMPLES];
