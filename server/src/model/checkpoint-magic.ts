// The first bytes of every checkpoint file vmsec writes. The validator needs
// them to tell (as the writer will) whether an existing `to` file may be
// replaced, and the validator must not import the simulator: so they live
// here, and sim/checkpoint.ts re-exports them.
export const CHECKPOINT_MAGIC: Buffer = Buffer.from('VMSECCK', 'latin1');
