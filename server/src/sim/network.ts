// Links and networks with bandwidth and latency; messages from one host on
// one link share its egress (they are serialised), and a multicast frame is
// sent once to every receiver on a network. Attackers act on the bytes that
// cross: a tap records them and scans for the confidential marker, tamper
// flips a real byte, drop loses the message, replay substitutes an earlier
// message of the same kind seen on that link.
import type { AttackerModel, HostModel, LinkModel, SemanticModel } from '../model/semantic';
import { routeBetween } from '../model/semantic';
import type { Engine } from './engine';
import { MARKER_PREFIX } from './pages';
import { Rng } from './rng';
import type { Timeline } from './timeline';

export interface Message<M = unknown> {
  kind: string;
  /** Size on the wire, in bytes. */
  bytes: number;
  /**
   * The data as it travels (ciphertext when encrypted): what attackers see and
   * modify. Page messages leave it out where nothing on the link reads it.
   */
  payload?: Buffer;
  /** The integrity proof travelling with the payload (swapped with it on replay). */
  proof?: unknown;
  meta: M;
  tampered?: boolean;
  replayed?: boolean;
}

export interface TapRecord { attacker: string; link: string; messages: number; bytes: number; confidential_seen: boolean }

interface ActiveAttack { attacker: AttackerModel; kind: 'tap' | 'tamper' | 'drop' | 'replay'; percent: number; rng: Rng; series: number }

const MARKER = Buffer.from(MARKER_PREFIX, 'latin1');
const REPLAY_MEMORY = 16;
const ATTACK_VERB = { tap: 'read', tamper: 'tampered', drop: 'dropped', replay: 'replayed' } as const;

export class Network {
  private readonly egress = new Map<string, number>();
  private readonly attacks = new Map<LinkModel, ActiveAttack[]>();
  private readonly captured = new Map<string, Message[]>();
  readonly taps = new Map<string, TapRecord>();
  /** Counts per attack kind, for the report. */
  readonly attackCounts = { tampered: 0, dropped: 0, replayed: 0 };
  /** Bytes put on the wire (a multicast frame counts once). */
  bytesSent = 0;

  constructor(private readonly engine: Engine, private readonly model: SemanticModel, seed: number, private readonly timeline?: Timeline) {
    for (const a of model.attackers.values()) {
      a.attacks.forEach((atk, n) => {
        for (const l of atk.links) {
          // Two taps of one attacker reaching the same link (`tap n` and `tap a <-> b` over n) read it once.
          if (atk.kind === 'tap' && this.taps.has(`${a.name}/${l.name}`)) continue;
          const list = this.attacks.get(l) ?? [];
          // Actions per time bin for the chart (taps: messages read).
          const series = timeline ? timeline.newSeries('attack', a.name, `${ATTACK_VERB[atk.kind]} on ${l.name}`) : -1;
          list.push({ attacker: a, kind: atk.kind, percent: atk.percent, rng: new Rng(seed, 'attack', a.name, n, l.name), series });
          this.attacks.set(l, list);
          if (atk.kind === 'tap') this.taps.set(`${a.name}/${l.name}`, { attacker: a.name, link: l.name, messages: 0, bytes: 0, confidential_seen: false });
        }
      });
    }
  }

  /** The link or network two hosts talk over (model/semantic.ts routeBetween). */
  route(a: HostModel, b: HostModel): LinkModel | undefined { return routeBetween(this.model, a, b); }

  transmitUs(link: LinkModel, bytes: number): number { return (bytes * 8 * 1e6) / link.bandwidth; }

  /** Whether anything on a link reads or changes the bytes that cross it. */
  observed(link: LinkModel): boolean { return this.attacks.has(link); }

  /** Whether messages on a link can be lost (an attacker drops them). */
  canLose(link: LinkModel): boolean { return (this.attacks.get(link) ?? []).some((a) => a.kind === 'drop' && a.percent > 0); }

  /** How long a message sent now from a host on a link waits before it starts to go out. */
  backlogUs(link: LinkModel, from: HostModel): number {
    return Math.max(0, (this.egress.get(`${link.name}/${from.name}`) ?? 0) - this.engine.now);
  }

  /**
   * Sends a message from `from` over `link` to each receiver (one frame even
   * for several receivers: multicast). `deliver` runs at arrival, once per
   * receiver, with the message as the attacker left it; nothing runs for a
   * dropped message.
   */
  send<M>(from: HostModel, link: LinkModel, receivers: number, msg: Message<M>, deliver: (msg: Message<M>, receiver: number) => void): void {
    const key = `${link.name}/${from.name}`;
    const start = Math.max(this.engine.now, this.egress.get(key) ?? 0);
    const done = start + this.transmitUs(link, msg.bytes);
    this.bytesSent += msg.bytes;
    this.egress.set(key, done);
    const arrived = this.attack(link, msg);
    if (!arrived) return;
    this.engine.at(done + link.latencyUs, () => { for (let r = 0; r < receivers; r++) deliver(arrived, r); });
  }

  private mark(a: ActiveAttack): void { if (a.series >= 0) this.timeline!.count(a.series, this.engine.now); }

  /** Applies the attackers on a link to a message; undefined if it was dropped. */
  private attack<M>(link: LinkModel, msg: Message<M>): Message<M> | undefined {
    const list = this.attacks.get(link);
    if (!list) return msg;
    let out = msg;
    for (const a of list) {
      switch (a.kind) {
        case 'tap': {
          const t = this.taps.get(`${a.attacker.name}/${link.name}`)!;
          t.messages++;
          t.bytes += out.bytes;
          this.mark(a);
          if (!t.confidential_seen && out.payload && out.payload.includes(MARKER)) {
            t.confidential_seen = true;
            this.timeline?.add({ kind: 'tap', lane: a.attacker.name, label: `saw the confidential marker on ${link.name}`, startMs: this.engine.now / 1000 });
          }
          break;
        }
        case 'drop':
          if (a.rng.chance(a.percent)) { this.attackCounts.dropped++; this.mark(a); return undefined; }
          break;
        case 'tamper':
          if (out.payload && a.rng.chance(a.percent)) {
            const copy = Buffer.from(out.payload);
            const at = a.rng.int(copy.length);
            copy[at] ^= 1 + a.rng.int(255);
            out = { ...out, payload: copy, tampered: true };
            this.attackCounts.tampered++;
            this.mark(a);
          }
          break;
        case 'replay': {
          const seen = this.captured.get(`${link.name}/${out.kind}`);
          if (out.payload && seen && seen.length && a.rng.chance(a.percent)) {
            // A man in the middle keeps the header (what was asked for) and
            // substitutes an earlier body and its proof.
            const old = seen[a.rng.int(seen.length)];
            // The frame keeps its length: an earlier, longer body (a 64-page run) is cut to it, so a
            // one-page answer never carries 64 pages for the attackers after this one to copy.
            const body = old.payload!.length > out.payload.length ? old.payload!.subarray(0, out.payload.length) : old.payload;
            out = { ...out, payload: body, proof: old.proof, replayed: true };
            this.attackCounts.replayed++;
            this.mark(a);
          }
          break;
        }
      }
    }
    // Replay attackers remember what crossed, to send it again later.
    if (msg.payload && list.some((a) => a.kind === 'replay') && !out.replayed) {
      const id = `${link.name}/${msg.kind}`;
      const seen = this.captured.get(id) ?? [];
      if (seen.length >= REPLAY_MEMORY) seen.shift();
      seen.push(msg);
      this.captured.set(id, seen);
    }
    return out;
  }
}
