// One attestation over the network: the verifier sends a fresh nonce, the
// attested TPM answers with a quote, the verifier checks it. A failure caused
// on the way (a tampered, replayed or lost message: bad signature, wrong
// nonce, digest mismatch, timeout) is retried with a new nonce, up to three
// attempts; a PCR that matches no accepted boot chain is final.
import type { HostModel, LinkModel } from '../model/semantic';
import { failure, Failure, Policy, verifyQuote } from './attestation';
import { verifyCost } from './costs';
import { derive } from './rng';
import { signatureSlot } from './keys';
import type { Quote, Tpm } from './tpm';
import type { World } from './world';
import type { AttestationResult } from './results';

export const MAX_ATTEMPTS = 3;
/** A packed quote's size at most (attest, an RSA-2048 signature slot, 24 PCR values) with its header. */
const MAX_QUOTE_BYTES = 4096;

export interface Exchange {
  verifier: string; target: string; kind: 'host' | 'vtpm'; fork: string; round: number; line: number;
  verifierHost: HostModel; targetHost: HostModel; link?: LinkModel;
  tpm: Tpm; quoteCost: number; selection: number[]; policy: Policy;
}

export interface QuoteMeta { attestLen: number; slot: number; pcrs: number[] }

/**
 * attest || u16 signature length || signature padded with zeros to its fixed
 * slot || PCR values: the same size on every run. The length travels in the
 * message (a TPM2B's size), so what an attacker changes or replays is read
 * back as sent; a changed length or padding is a bad signature. (ECDSA
 * signatures are 70 to 72 bytes at random: had the padding been ignored, a
 * flipped byte there would have counted or not by chance.)
 */
export function packQuote(q: Quote, slot: number): Buffer {
  const sig = Buffer.alloc(2 + slot);
  sig.writeUInt16BE(q.signature.length);
  q.signature.copy(sig, 2);
  return Buffer.concat([q.attest, sig, ...q.values]);
}
export function unpackQuote(b: Buffer, m: QuoteMeta): Quote {
  const attest = b.subarray(0, m.attestLen);
  const len = b.length >= m.attestLen + 2 ? b.readUInt16BE(m.attestLen) : Infinity;
  const slot = b.subarray(m.attestLen + 2, m.attestLen + 2 + m.slot);
  const intact = len <= m.slot && slot.subarray(len).every((x) => x === 0);
  const signature = intact ? slot.subarray(0, len) : Buffer.alloc(0);
  const values: Buffer[] = [];
  for (let o = m.attestLen + 2 + m.slot; o + 32 <= b.length; o += 32) values.push(b.subarray(o, o + 32));
  return { attest, signature, pcrs: m.pcrs, values };
}

/** Runs the exchange and calls `done` with its result (also recorded in the world). */
export function attest(world: World, x: Exchange, done: (r: AttestationResult) => void): void {
  const { engine, network, costs } = world;
  const tpmFree = { at: 0 };
  const startUs = engine.now;
  const attempt = (n: number) => {
    const nonce = derive(world.seed, 'nonce', x.fork, x.round, x.verifier, x.target, n);
    let answered = false;
    const finish = (failures: Failure[]) => {
      if (answered) return;
      answered = true;
      const transport = failures.length > 0 && !failures[0].id.startsWith('invalid_pcr_');
      if (transport && n < MAX_ATTEMPTS) { attempt(n + 1); return; }
      const r: AttestationResult = {
        verifier: x.verifier, target: x.target, kind: x.kind, passed: failures.length === 0, failures,
        attempts: n, fork: x.fork, line: x.line, at_ms: world.nowMs,
      };
      world.result.attestations.push(r);
      world.timeline.add({
        kind: 'attestation', lane: `${x.verifier} → ${x.target}`, startMs: startUs / 1000, endMs: world.nowMs, line: x.line, ok: r.passed,
        label: `${x.kind === 'vtpm' ? 'vTPM ' : ''}${x.target} ${r.passed ? 'attested' : failures[0]?.id ?? 'failed'}${n > 1 ? ` (${n} attempts)` : ''}`,
        facts: { nonce: nonce.toString('hex'), algorithm: x.tpm.ak.alg, pcrs: x.selection.join(', '), attempts: String(n) },
      });
      done(r);
    };
    // A lost message shows as silence: give up on this attempt after a timeout
    // that lets the nonce and the quote cross this link (waiting behind what
    // each side is sending, latency both ways) and the TPM answer. Only a drop
    // attack loses messages, so only then is there a timer: a WAN link's
    // latency is slowness, not loss.
    if (x.link && network.canLose(x.link)) {
      const trip = network.backlogUs(x.link, x.verifierHost) + network.backlogUs(x.link, x.targetHost)
        + network.transmitUs(x.link, nonce.length + 64) + network.transmitUs(x.link, MAX_QUOTE_BYTES) + 2 * x.link.latencyUs;
      engine.after(trip + costs.requestTimeout + x.quoteCost * 2, () => finish([failure('timeout')]));
    }

    const onQuote = (payload: Buffer | undefined, meta: QuoteMeta) => {
      if (answered || !payload) return;
      const q = unpackQuote(payload, meta);
      const ak = x.tpm.ak;
      const failures = verifyQuote(q, ak.publicKey, nonce, x.policy);
      world.work.verifications++;
      world.quotes.push({ verifier: x.verifier, target: x.target, kind: x.kind, attempt: n, passed: failures.length === 0, nonce, quote: q, akPem: ak.publicPem });
      engine.after(verifyCost(costs, ak.alg), () => finish(failures));
    };
    const makeQuote = (receivedNonce: Buffer) => {
      // The TPM answers one quote at a time.
      const start = Math.max(engine.now, tpmFree.at);
      tpmFree.at = start + x.quoteCost;
      engine.at(tpmFree.at, () => {
        const q = x.tpm.quote(receivedNonce, x.selection, world.nowMs);
        world.work.signatures++;
        const slot = signatureSlot(x.tpm.ak.alg);
        const meta: QuoteMeta = { attestLen: q.attest.length, slot, pcrs: q.pcrs };
        const payload = packQuote(q, slot);
        if (!x.link) { onQuote(payload, meta); return; }
        network.send(x.targetHost, x.link, 1, { kind: 'quote', bytes: payload.length + 64, payload, meta }, (m) => onQuote(m.payload, m.meta));
      });
    };
    if (!x.link) { makeQuote(nonce); return; }
    network.send(x.verifierHost, x.link, 1, { kind: 'nonce', bytes: nonce.length + 64, payload: nonce, meta: null }, (m) => makeQuote(m.payload ?? nonce));
  };
  attempt(1);
}
