/**
 * The envelope commitment: a Merkle root over the envelopes of one ticket version (or of one
 * return's notes), decoys included, plus one blinding leaf.
 *
 *   leaf(locator, bytes) = keccak256(keccak256(abi.encode(bytes16 locator, keccak256(bytes))))
 *   blind                = keccak256(abi.encode(BLIND_DOMAIN, secret, kind, version))
 *
 * A single envelope verifies alone with its proof (`MerkleProof.verify`). The blinding leaf is
 * derived from the ticket secret, which only parties hold, so someone who copies a whole store
 * cannot recompute the root from a ticket ID's files and match it to the on-chain record.
 */
import { abiEncode, keccak, keccakHex } from "../crypto/abi.js";

import { merkleProof, merkleRoot, merkleTree, verifyProof } from "../crypto/merkle.js";
import type { EnvelopeKind } from "../crypto/locator.js";

export const BLIND_DOMAIN = "SettlementRegistry/envelope-blind/v1";

export function envelopeLeaf(locator: string, bytes: Uint8Array): string {
  return keccakHex(keccak(abiEncode([{ bytes16: locator }, { bytes32: keccak(bytes) }])));
}

export function blindingLeaf(secret: string, kind: EnvelopeKind, version: number): string {
  return keccakHex(
    abiEncode([
      { string: BLIND_DOMAIN },
      { bytes32: secret },
      { string: kind },
      { uint32: version },
    ]),
  );
}

export interface CommittedEnvelope {
  locator: string;
  bytes: Uint8Array;
}

function allLeaves(entries: readonly CommittedEnvelope[], blind: string): string[] {
  return [...entries.map((e) => envelopeLeaf(e.locator, e.bytes)), blind];
}

export function envelopeCommitment(entries: readonly CommittedEnvelope[], blind: string): string {
  return merkleRoot(allLeaves(entries, blind));
}

/** The proof for `entry` within the set. */
export function envelopeProof(
  entries: readonly CommittedEnvelope[],
  blind: string,
  entry: CommittedEnvelope,
): string[] {
  return merkleProof(
    allLeaves(entries, blind),
    envelopeLeaf(entry.locator, entry.bytes),
  ) as string[];
}

/** The commitment and the proof of every entry (`proofs[i]` for `entries[i]`), hashing each once. */
export function envelopeTree(
  entries: readonly CommittedEnvelope[],
  blind: string,
): { commitment: string; proofs: string[][] } {
  const leaves = allLeaves(entries, blind);
  const { root, proofs } = merkleTree(leaves);
  return { commitment: root, proofs: proofs.slice(0, entries.length) };
}

/** Whether one envelope belongs to the set committed on-chain as `commitment`. */
export function verifyEnvelope(
  entry: CommittedEnvelope,
  proof: readonly string[],
  commitment: string,
): boolean {
  return verifyProof(proof, commitment, envelopeLeaf(entry.locator, entry.bytes));
}
