// Asking the offline launcher (test/e2e/code-server.ts) what the page shows,
// or for a screenshot: the suite writes a request file beside its results
// file and waits for the answer. Without the launcher (the Electron runner)
// there is no page to read and each call answers undefined.
import * as fs from 'node:fs';
import { waitFor } from './poll';

const results = process.env.VMSEC_E2E_RESULTS;

export type PageText = { editors: string[]; statusbar: string; webviews: string[]; lenses: string[] };

let reads = 0;
/** What the page shows now, without a screenshot. */
export async function readPage(): Promise<PageText | undefined> {
  if (!results) return undefined;
  const name = `p${++reads}`;
  fs.writeFileSync(`${results}.read-${name}`, '');
  const answer = `${results}.page-${name}`;
  // The answer may be seen before its text is written: parse until it is whole.
  return waitFor(`the launcher to read the page (${name})`, () => {
    try { return fs.existsSync(answer) ? (JSON.parse(fs.readFileSync(answer, 'utf8')) as PageText) : undefined; } catch { return undefined; }
  }, 30_000);
}

/** The texts of the webviews the page shows now (undefined without the launcher). */
export const webviewTexts = async (): Promise<string[] | undefined> => (await readPage())?.webviews;

/** A page screenshot NAME.png; returns what the page showed. */
export async function shoot(name: string): Promise<PageText | undefined> {
  if (!results) return undefined;
  fs.writeFileSync(`${results}.shoot-${name}`, '');
  const answer = `${results}.shot-${name}`;
  await waitFor(`the launcher to photograph ${name}`, () => (fs.existsSync(answer) ? true : undefined), 45_000);
  return JSON.parse(fs.readFileSync(answer, 'utf8'));
}

/** test/fixtures/batch/small-fork.vmsec: whether a page is rejected depends on the seed (seeds 11, 14, 17 of 1..20 reject none). */
export const SMALL_FORK = `boot std { pcr 0 "fw-1" pcr 4 "grub-2" pcr 8 "kvm-6" }
host a { cpus 8 memory 16 GiB tpm ecdsa-p256 boot std }
host b { cpus 8 memory 16 GiB tpm ecdsa-p256 boot std }
network lan { hosts a, b bandwidth 1 Gbps latency 100 us }
vm app on a {
  vcpus 1
  memory 16 MiB
  subnet 10.1.0.0/24
  workingset 5%
  process srv { memory 4 MiB }
}
fork f of app {
  children 2
  on b
  memory lazy
  attest hosts against std
  integrity per-page
}
attacker eve { tamper lan 0.5% }
scenario "fork under tampering" {
  at 0 ms fork f
  expect f ready within 1 s
  expect no tampered page accepted
  expect f pages rejected > 0
}
`;
