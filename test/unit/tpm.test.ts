// TPM emulation checked byte by byte against SHA-256 chains computed here
// independently, and the verifier's order of checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createPublicKey, verify as cryptoVerify } from 'node:crypto';
import fc from 'fast-check';
import { bootPcrs, initialPcrs } from '../../server/src/sim/pcr';
import { decodeAttest, toU64, TPM_GENERATED_VALUE, TPM_ST_ATTEST_QUOTE } from '../../server/src/sim/quote';
import { Tpm } from '../../server/src/sim/tpm';
import { verifyQuote, Policy } from '../../server/src/sim/attestation';
import { packQuote, unpackQuote } from '../../server/src/sim/attest-exchange';
import { signatureSlot } from '../../server/src/sim/keys';
import type { BootModel } from '../../server/src/model/semantic';

const h = (...parts: Buffer[]) => { const x = createHash('sha256'); parts.forEach((p) => x.update(p)); return x.digest(); };
const chain = (pcrs: BootModel['pcrs']): BootModel => ({ name: 'b', pcrs } as unknown as BootModel);

test('PCRs start as TPM 2.0 PC Client says: 0-16 and 23 zero, 17-22 all 0xFF', () => {
  const p = initialPcrs();
  assert.equal(p.length, 24);
  for (let i = 0; i < 24; i++) assert.equal(p[i].toString('hex'), (i >= 17 && i <= 22 ? 'ff' : '00').repeat(32), `PCR ${i}`);
});

test('extending follows PCR := SHA-256(PCR || SHA-256(text)), in order; digests extend as given', () => {
  const digest = 'ab'.repeat(32);
  const p = bootPcrs(chain([
    { index: 0, measurements: [{ text: 'firmware-2.1' }] },
    { index: 8, measurements: [{ text: 'xen-4.17' }, { text: 'evil.ko' }] },
    { index: 18, measurements: [{ digest }] },
  ]));
  const zero = Buffer.alloc(32);
  assert.equal(p[0].toString('hex'), h(zero, h(Buffer.from('firmware-2.1'))).toString('hex'));
  // The reference value from ENGINEERING.md's recipe (printf firmware-2.1 | sha256sum, then hash with zeros).
  assert.equal(p[0].toString('hex'), '5de5155a948ed582a998be74edef84524667aa358697cf0f663fa5e9cd660bd6');
  assert.equal(p[8].toString('hex'), h(h(zero, h(Buffer.from('xen-4.17'))), h(Buffer.from('evil.ko'))).toString('hex'));
  assert.equal(p[18].toString('hex'), h(Buffer.alloc(32, 0xff), Buffer.from(digest, 'hex')).toString('hex'));
  assert.equal(p[4].toString('hex'), zero.toString('hex'));
});

function setup() {
  const pcrs = bootPcrs(chain([{ index: 0, measurements: [{ text: 'fw' }] }, { index: 8, measurements: [{ text: 'xen' }] }]));
  const tpm = new Tpm('alpha', 'ecdsa-p256', pcrs, 7);
  const nonce = Buffer.alloc(32, 9);
  const policy: Policy = { chains: [{ name: 'b', pcrs: new Map([[0, pcrs[0]], [8, pcrs[8]]]) }] };
  return { tpm, nonce, policy, quote: tpm.quote(nonce, [8, 0], 1234) };
}

test('a quote is a real TPMS_ATTEST signed over its SHA-256', () => {
  const { tpm, quote, nonce } = setup();
  const f = decodeAttest(quote.attest);
  assert.equal(f.magic, TPM_GENERATED_VALUE);
  assert.equal(f.type, TPM_ST_ATTEST_QUOTE);
  assert.deepEqual(f.nonce, nonce);
  assert.deepEqual(f.pcrs, [0, 8]);
  assert.deepEqual(f.pcrDigest, h(quote.values[0], quote.values[1]));
  assert.equal(f.clock, 1234n);
  assert.ok(cryptoVerify('sha256', quote.attest, createPublicKey(tpm.ak.publicPem), quote.signature));
});

test('the same seed derives the same ECDSA attestation key', () => {
  assert.equal(new Tpm('alpha', 'ecdsa-p256', initialPcrs(), 7).ak.publicPem, new Tpm('alpha', 'ecdsa-p256', initialPcrs(), 7).ak.publicPem);
  assert.notEqual(new Tpm('alpha', 'ecdsa-p256', initialPcrs(), 7).ak.publicPem, new Tpm('alpha', 'ecdsa-p256', initialPcrs(), 8).ak.publicPem);
});

test('the verifier checks signature, then nonce, then pcrDigest, then each PCR', () => {
  const { tpm, quote, nonce, policy } = setup();
  const key = tpm.ak.publicKey;
  assert.deepEqual(verifyQuote(quote, key, nonce, policy), []);
  const badSig = { ...quote, signature: Buffer.from(quote.signature) };
  badSig.signature[10] ^= 1;
  // Every failure carries the four keys of LANGUAGE.md §5's JSON, null where a cause has no PCR or values.
  assert.deepEqual(verifyQuote(badSig, key, nonce, policy), [{ id: 'bad_signature', pcr: null, expected: null, actual: null }]);
  assert.deepEqual(verifyQuote(quote, key, Buffer.alloc(32, 1), policy), [{ id: 'nonce_mismatch', pcr: null, expected: '01'.repeat(32), actual: nonce.toString('hex') }]);
  const badValues = { ...quote, values: [quote.values[0], Buffer.alloc(32, 7)] };
  assert.deepEqual(verifyQuote(badValues, key, nonce, policy), [{ id: 'pcr_digest_mismatch', pcr: null, expected: null, actual: null }]);
  const other = bootPcrs(chain([{ index: 0, measurements: [{ text: 'fw' }] }, { index: 8, measurements: [{ text: 'rootkit' }] }]));
  const strict: Policy = { chains: [{ name: 'b', pcrs: new Map([[0, quote.values[0]], [8, other[8]]]) }] };
  const [f] = verifyQuote(quote, key, nonce, strict);
  assert.deepEqual(f, { id: 'invalid_pcr_8', pcr: 8, expected: other[8].toString('hex'), actual: quote.values[1].toString('hex') });
});

test('property: any single flipped bit in a quote or its signature is rejected', () => {
  const { tpm, quote, nonce, policy } = setup();
  const total = (quote.attest.length + quote.signature.length) * 8;
  fc.assert(fc.property(fc.integer({ min: 0, max: total - 1 }), (bit) => {
    const attest = Buffer.from(quote.attest);
    const signature = Buffer.from(quote.signature);
    const byte = bit >> 3;
    if (byte < attest.length) attest[byte] ^= 1 << (bit & 7); else signature[byte - attest.length] ^= 1 << (bit & 7);
    return verifyQuote({ ...quote, attest, signature }, tpm.ak.publicKey, nonce, policy).length > 0;
  }), { numRuns: 300 });
});

test('the quote clock is total: any time gives a UINT64 (saturating), never a thrown range error', () => {
  const tpm = new Tpm('host', 'ecdsa-p256', initialPcrs(), 1);
  const nonce = Buffer.alloc(20, 7);
  const clockAt = (ms: number) => decodeAttest(tpm.quote(nonce, [0], ms).attest).clock;
  assert.equal(clockAt(1234.9), 1234n);
  assert.equal(clockAt(2 ** 64 * 4), 2n ** 64n - 1n, 'past 2^64 ms it saturates');
  assert.equal(clockAt(Infinity), 2n ** 64n - 1n);
  assert.equal(clockAt(-5), 0n);
  assert.equal(clockAt(NaN), 0n);
  fc.assert(fc.property(fc.double(), (ms) => {
    const c = toU64(ms);
    return c >= 0n && c < 2n ** 64n;
  }), { numRuns: 2000 });
});

test('a quote on the wire: any flipped byte of its signature slot (length, signature, padding) is a bad signature', () => {
  const { tpm, nonce, policy } = setup();
  const slot = signatureSlot('ecdsa-p256');
  // ECDSA signatures are 70 to 72 bytes at random: take one shorter than its slot, so padding is there to flip.
  let q = tpm.quote(nonce, [8, 0], 1234);
  for (let i = 0; i < 50 && q.signature.length >= slot; i++) q = tpm.quote(nonce, [8, 0], 1234);
  assert.ok(q.signature.length < slot, 'a signature shorter than its slot');
  const meta = { attestLen: q.attest.length, slot, pcrs: q.pcrs };
  const wire = packQuote(q, slot);
  assert.deepEqual(verifyQuote(unpackQuote(wire, meta), tpm.ak.publicKey, nonce, policy), []);
  for (let at = q.attest.length; at < q.attest.length + 2 + slot; at++) {
    const bad = Buffer.from(wire);
    bad[at] ^= 0x40;
    assert.deepEqual(verifyQuote(unpackQuote(bad, meta), tpm.ak.publicKey, nonce, policy).map((f) => f.id), ['bad_signature'], `byte ${at - q.attest.length} of the slot`);
  }
});
