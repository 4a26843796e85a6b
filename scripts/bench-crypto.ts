/**
 * Envelope cost: encrypt and decrypt time per recipient and envelope size against ticket size, and
 * sealing and opening a ticket on a 3-party route.
 *
 *   npx tsx scripts/bench-crypto.ts            print the figures
 *   npx tsx scripts/bench-crypto.ts --write    also rewrite the crypto section of docs/benchmarks.md
 */
import { randomBytes } from "node:crypto";
import { cpus } from "node:os";

import { encrypt as eciesDefaultEncrypt } from "eciesjs";
import { getBytes, keccak256, toUtf8Bytes } from "ethers";
import { secp256k1 } from "@noble/curves/secp256k1";

import { eciesDecrypt, eciesEncrypt } from "../lib/crypto/ecies.js";
import { keyPairFromSeed } from "../lib/crypto/keys.js";
import {
  ENVELOPE_SIZE,
  MAX_PAYLOAD_BYTES,
  openCiphertext,
  sealCiphertext,
} from "../lib/crypto/sealed-envelope.js";
import { SqliteEnvelopeStore } from "../lib/store/sqlite.js";
import { measure, measureSync, openAsParty, writeBenchSection } from "../lib/testing/bench.js";
import { readTradeFile } from "../lib/ticket/file.js";
import { sealTicket, storeSealed } from "../lib/ticket/seal.js";

const seed = (s: string) => getBytes(keccak256(toUtf8Bytes(s)));

const ms = (x: number) => x.toFixed(2);

async function main(): Promise<void> {
  const recipient = keyPairFromSeed(seed("bench/recipient"), 1);
  const pub = getBytes(recipient.publicKey);
  const lines: string[] = [];
  const out = (line = "") => {
    lines.push(line);
    console.log(line);
  };

  // Warm the JIT on every size first, so that the first row is not measured cold.
  for (let i = 0; i < 200; i++)
    eciesDecrypt(recipient.privateKey, eciesEncrypt(pub, randomBytes(1024 * (1 + (i % 16)))));

  let oneKbEncrypt = 0;
  out("### Envelope encrypt / decrypt per recipient");
  out();
  out(
    `Every envelope is ${ENVELOPE_SIZE.toLocaleString("en")} B whatever its payload (native x25519 and XChaCha20-Poly1305 through \`sealCiphertext\` / \`openCiphertext\`).`,
  );
  out();
  out("| ticket payload | envelope size | encrypt median (p95) | decrypt median (p95) |");
  out("| -------------: | ------------: | -------------------: | -------------------: |");
  for (const kb of [0.5, 1, 2, MAX_PAYLOAD_BYTES / 1024]) {
    const payload = { text: "x".repeat(Math.round(kb * 1024) - 11) };
    let ciphertext: Uint8Array = new Uint8Array();
    const enc = measureSync(300, 50, () => {
      ciphertext = sealCiphertext(pub, payload);
    });
    const dec = measureSync(300, 50, () => {
      openCiphertext(recipient.privateKey, ciphertext, "bench");
    });
    if (kb === 1) oneKbEncrypt = enc.median;
    out(
      `| ${Number.isInteger(kb) ? kb : kb.toFixed(1)} KB | ${ENVELOPE_SIZE.toLocaleString("en")} B | ${ms(enc.median)} ms (${ms(enc.p95)}) | ${ms(dec.median)} ms (${ms(dec.p95)}) |`,
    );
  }

  // For comparison: eciesjs with its default configuration (secp256k1, AES-256-GCM).
  const kPub = secp256k1.getPublicKey(seed("bench/secp"), false);
  const oneKb = randomBytes(1024);
  const secp = measureSync(100, 50, () => {
    eciesDefaultEncrypt(kPub, oneKb);
  });
  out();
  out(
    `eciesjs default (secp256k1 + AES-256-GCM), 1 KB encrypt for comparison: ${ms(secp.median)} ms (p95 ${ms(secp.p95)}). ` +
      `That configuration takes about 13 ms on an idle machine of this kind, so this run was ${(secp.median / 13).toFixed(1)}× slower than idle; ` +
      `scaled by the same factor, x25519 is about ${ms(oneKbEncrypt / (secp.median / 13))} ms per 1 KB encrypt.`,
  );

  // A whole ticket: the DvP example on a 3-party route (4 recipients + 5 decoys = 9 envelopes).
  const trade = await readTradeFile("examples/dvp-japanese-equity-buy.json");
  const names = ["custodian", "broker", "csd"];
  const parties = names.map((n, i) => ({
    address: `0x${String(i + 2).repeat(40)}`,
    key: keyPairFromSeed(seed(`bench/${n}`), 1),
  }));
  const am = { address: `0x${"1".repeat(40)}`, key: keyPairFromSeed(seed("bench/am"), 1) };
  const sealInput = {
    trade,
    originator: { address: am.address, keyPair: am.key },
    route: parties.map((p) => ({ address: p.address, publicKey: p.key.publicKey, keyVersion: 1 })),
  };
  let sealed = sealTicket(sealInput);
  const seal = measureSync(100, 50, () => {
    sealed = sealTicket(sealInput);
  });
  const { mkdtemp, rm } = await import("node:fs/promises");
  const { tmpdir } = await import("node:os");
  const { join } = await import("node:path");
  const root = await mkdtemp(join(tmpdir(), "sr-bench-"));
  const store = SqliteEnvelopeStore.open(root);
  await storeSealed(store, sealed);
  const csd = parties[2];
  const open = await measure(100, 10, async () => {
    await openAsParty(store, sealed, csd, am);
  });
  store.close();
  await rm(root, { recursive: true, force: true });
  out();
  out("### A ticket on a 3-party route");
  out();
  out(
    `DvP example (${Buffer.byteLength(JSON.stringify(trade))} B of trade JSON), 9 envelopes of ${sealed.entries[0].bytes.length} B each:`,
  );
  out();
  out("| operation | median (p95) |");
  out("| --------- | -----------: |");
  out(
    `| sealTicket (4 envelopes, 5 decoys, both commitments) | ${ms(seal.median)} ms (${ms(seal.p95)}) |`,
  );
  out(
    `| openTicket by ticket key (locate by token, authenticate the sealed proof, verify own leaf against the root, decrypt, bind, check the trade commitment) | ${ms(open.median)} ms (${ms(open.p95)}) |`,
  );
  out();
  out(
    `Node ${process.version}, ${cpus()[0]?.model ?? "unknown CPU"}, ${new Date().toISOString().slice(0, 10)}.`,
  );

  if (process.argv.includes("--write")) {
    const path = await writeBenchSection("crypto", [
      "## Envelope encryption",
      "",
      "Measured with `npx tsx scripts/bench-crypto.ts --write` (eciesjs 0.5's x25519 format: x25519 + HKDF-SHA256 + XChaCha20-Poly1305, computed with node:crypto). Every envelope is 4,096 bytes: the payload is padded to one frame, and the sealed proof follows the ciphertext.",
      "",
      ...lines,
    ]);
    console.log(`\nwrote ${path}`);
  }
}

await main();
