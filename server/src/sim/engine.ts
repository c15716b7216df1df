// The discrete-event engine: a simulated clock in microseconds and a queue of
// events ordered by time, then by the order they were scheduled, so runs are
// deterministic whatever the host machine does.

export type Handler = () => void;

interface Event { at: number; seq: number; fn: Handler }

export class Engine {
  private heap: Event[] = [];
  private seq = 0;
  now = 0;
  /** Events run so far (for statistics and runaway guards). */
  processed = 0;

  at(time: number, fn: Handler): void {
    const e = { at: Math.max(time, this.now), seq: this.seq++, fn };
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (less(h[p], e)) break;
      h[i] = h[p]; i = p;
    }
    h[i] = e;
  }

  after(delay: number, fn: Handler): void { this.at(this.now + delay, fn); }

  /** Runs events until the queue is empty or the next one is after `until`. */
  run(until = Infinity, maxEvents = 50_000_000): void {
    while (this.heap.length && this.heap[0].at <= until) {
      if (++this.processed > maxEvents) throw new Error(`simulation exceeded ${maxEvents} events`);
      const e = this.pop();
      this.now = e.at;
      e.fn();
    }
    if (until !== Infinity && until > this.now) this.now = until;
  }

  get pending(): number { return this.heap.length; }

  private pop(): Event {
    const h = this.heap;
    const top = h[0];
    const last = h.pop()!;
    if (h.length) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= h.length) break;
        const r = l + 1;
        const c = r < h.length && less(h[r], h[l]) ? r : l;
        if (!less(h[c], last)) break;
        h[i] = h[c]; i = c;
      }
      h[i] = last;
    }
    return top;
  }
}

function less(a: Event, b: Event): boolean { return a.at < b.at || (a.at === b.at && a.seq < b.seq); }
