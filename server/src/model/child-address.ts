// The child IP rule (LANGUAGE.md §3): child `F[vmid]` of a fork gets address
// `subnet + vmid + 1` on its parent's subnet. One rule for the simulator's
// transfers, the validator's room check (VMS003) and the fork hover.

export interface Subnet { ip: number; prefix: number }

/** The address (as a 32-bit number) of the child with this vmid (1-based). */
export function childIp(subnet: Subnet, vmid: number): number {
  return (subnet.ip + vmid + 1) >>> 0;
}

/** How many children fit in a subnet: their addresses run from `subnet + 2` to `subnet + n + 1`, below the broadcast address. */
export function childRoom(subnet: Subnet): number {
  return Math.max(0, 2 ** (32 - subnet.prefix) - 3);
}
