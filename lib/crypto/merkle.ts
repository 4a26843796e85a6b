/**
 * Merkle trees compatible with OpenZeppelin's `MerkleProof.verify`: keccak256 over sorted pairs
 * (`Hashes.commutativeKeccak256`), so a proof is a plain list of sibling hashes. Leaves are sorted
 * before building, so the root does not depend on the order they were given in; a node without a
 * sibling moves up unchanged.
 */
import { keccakHex } from "./abi.js";

const ZERO = `0x${"00".repeat(32)}`;

const bytes32 = (hex: string) => {
  if (!/^0x[0-9a-fA-F]{64}$/.test(hex))
    throw new TypeError(`not a 32-byte hash: ${hex.slice(0, 70)}`);
  return Buffer.from(hex.slice(2), "hex");
};

function hashPair(a: string, b: string): string {
  const [x, y] = a.toLowerCase() < b.toLowerCase() ? [a, b] : [b, a];
  return keccakHex(Buffer.concat([bytes32(x), bytes32(y)]));
}

function levels(leaves: readonly string[]): string[][] {
  if (leaves.length === 0) return [[ZERO]];
  const out: string[][] = [[...leaves].map((l) => l.toLowerCase()).sort()];
  while (out[out.length - 1].length > 1) {
    const level = out[out.length - 1];
    const next: string[] = [];
    for (let i = 0; i < level.length; i += 2) {
      next.push(i + 1 < level.length ? hashPair(level[i], level[i + 1]) : level[i]);
    }
    out.push(next);
  }
  return out;
}

/** The root over `leaves` (32-byte 0x-hex each); zero for no leaves. */
export function merkleRoot(leaves: readonly string[]): string {
  const all = levels(leaves);
  return all[all.length - 1][0];
}

/** The proof that `leaf` is in the tree over `leaves`, or `undefined` if it is not a leaf. */
export function merkleProof(leaves: readonly string[], leaf: string): string[] | undefined {
  const all = levels(leaves);
  const index = all[0].indexOf(leaf.toLowerCase());
  if (index < 0 || leaves.length === 0) return undefined;
  return proofAt(all, index);
}

/** The siblings on the way up from leaf `index` (a lone node has none at its level). */
function proofAt(all: readonly string[][], index: number): string[] {
  const proof: string[] = [];
  for (let l = 0; l < all.length - 1; l++) {
    const sibling = index ^ 1;
    if (sibling < all[l].length) proof.push(all[l][sibling]);
    index >>= 1;
  }
  return proof;
}

/**
 * The root and the proof of every given leaf, building the tree once (`merkleProof` per leaf
 * would rebuild it each time). `proofs[i]` is the proof of `leaves[i]`.
 */
export function merkleTree(leaves: readonly string[]): { root: string; proofs: string[][] } {
  const all = levels(leaves);
  const position = new Map(all[0].map((leaf, i) => [leaf, i]));
  const proofs = leaves.map((leaf) => proofAt(all, position.get(leaf.toLowerCase()) as number));
  return { root: all[all.length - 1][0], proofs };
}

/** What `MerkleProof.processProof(proof, leaf)` returns. */
export function processProof(proof: readonly string[], leaf: string): string {
  return proof.reduce((acc, sibling) => hashPair(acc, sibling), leaf.toLowerCase());
}

/** What `MerkleProof.verify(proof, root, leaf)` returns. */
export function verifyProof(proof: readonly string[], root: string, leaf: string): boolean {
  return processProof(proof, leaf) === root.toLowerCase();
}
