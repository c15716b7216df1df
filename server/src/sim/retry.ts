// One retry rule for everything the simulator sends and checks on arrival:
// a fork's pages, blocks and descriptor runs, and a migration's or restore's
// chunks. A piece the receiver rejects (its hash or signature does not match:
// tampered or replayed) is asked for again at most MAX_REJECTIONS times; a
// piece that never comes (noticed by a timeout, only where an attacker drops
// messages) at most MAX_TIMEOUTS times, since a loss costs only time while a
// rejection means someone is altering the traffic. One more and the transfer
// fails: `page N rejected 4 times`, `chunk N of M lost 9 times`.

/** A rejected piece is asked for again at most this many times. */
export const MAX_REJECTIONS = 3;
/** A lost piece is asked for again at most this many times. */
export const MAX_TIMEOUTS = 8;

export type Miss = 'lost' | 'rejected';

/** Whether a piece that has now missed `times` times in this way is given up on (else it is asked for again). */
export function givesUp(why: Miss, times: number): boolean {
  return times > (why === 'lost' ? MAX_TIMEOUTS : MAX_REJECTIONS);
}
