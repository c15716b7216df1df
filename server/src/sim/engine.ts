// The discrete-event engine: a simulated clock in microseconds and a queue of
// events ordered by time, then by the order they were scheduled, so runs are
// deterministic whatever the host machine does.
//
// Every event belongs to a context (a scenario step): events scheduled while
// an event runs inherit its context. A context that throws or exceeds its
// event budget is stopped (its pending events are skipped) and reported to
// the run's error handler, so one step's failure never ends the others.

export type Handler = () => void;

/** What a group of events belongs to (a step), and how many of its events have run. */
export interface EventContext { readonly label: unknown; events: number; stopped: boolean }

/** Events one context may run before it is stopped: a runaway guard, deterministic (no wall clock). */
export const MAX_EVENTS_PER_STEP = 50_000_000;

export class EventBudgetExceeded extends Error {
  constructor(readonly limit: number) { super(`exceeded ${limit.toLocaleString('en-US')} events`); }
}

interface Event { at: number; seq: number; fn: Handler; ctx: EventContext }

export class Engine {
  private heap: Event[] = [];
  private seq = 0;
  now = 0;
  /** Events run so far (for statistics). */
  processed = 0;
  /** The context of the event running now; new events join it. */
  private readonly root: EventContext = { label: undefined, events: 0, stopped: false };
  private current = this.root;

  constructor(private readonly maxEventsPerContext = MAX_EVENTS_PER_STEP) {}

  /** A new context for events scheduled by `fn` (and by their events in turn). */
  within(label: unknown, fn: () => void): EventContext {
    const ctx: EventContext = { label, events: 0, stopped: false };
    const saved = this.current;
    this.current = ctx;
    try { fn(); } finally { this.current = saved; }
    return ctx;
  }

  at(time: number, fn: Handler): void {
    const ctx = this.current;
    if (ctx.stopped) return;
    // Any time is accepted: NaN runs now, Infinity runs last.
    const e = { at: Number.isNaN(time) ? this.now : Math.max(time, this.now), seq: this.seq++, fn, ctx };
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

  /** The latest time reached by something that needs no event of its own (an inert monitor verdict). */
  horizon = 0;
  /** Records that something happens at `time` without scheduling an event: the run's end still counts it. */
  note(time: number): void { if (time > this.horizon) this.horizon = time; }

  /**
   * Runs events until the queue is empty or the next one is after `until`.
   * An event that throws, or a context over its budget, stops that context
   * and is passed to `onError`; without `onError` the error is thrown.
   */
  run(until = Infinity, onError?: (ctx: EventContext, error: unknown) => void): void {
    while (this.heap.length && this.heap[0].at <= until) {
      const e = this.pop();
      if (e.ctx.stopped) continue;
      this.now = e.at;
      this.processed++;
      this.current = e.ctx;
      try {
        if (++e.ctx.events > this.maxEventsPerContext) throw new EventBudgetExceeded(this.maxEventsPerContext);
        e.fn();
      } catch (err) {
        e.ctx.stopped = true;
        if (!onError) throw err;
        onError(e.ctx, err);
      }
    }
    this.current = this.root;
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
