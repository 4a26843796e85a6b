import { expect } from "chai";

import { merkleProof, merkleRoot, verifyProof } from "../../lib/crypto/merkle.js";
import { canonicalJson } from "../../lib/crypto/canonical.js";
import { discloseField, tradeCommitment, verifyDisclosure } from "../../lib/ticket/commitment.js";
import { InputError } from "../../lib/errors.js";
import { keccak256, toUtf8Bytes } from "ethers";
import { assetManager, broker, csd, custodian, dvpTrade } from "./fixtures.js";

const SALT = `0x${"ab".repeat(32)}`;

describe("lib/ticket/commitment", function () {
  const ticketOf = async () => ({
    id: "T-7KQ4-M2XD-9PWA",
    version: 1,
    originator: assetManager.address,
    route: [custodian.address, broker.address, csd.address],
    trade: await dvpTrade(),
    salt: SALT,
  });

  it("is canonical: key order does not matter (RFC 8785)", async function () {
    const t = await ticketOf();
    const reordered = {
      ...t,
      trade: Object.fromEntries(Object.entries(t.trade).reverse()) as typeof t.trade,
    };
    expect(tradeCommitment(reordered)).to.equal(tradeCommitment(t));
    expect(canonicalJson({ b: 1, a: "x" })).to.equal('{"a":"x","b":1}');
  });

  it("changes with any field, the salt, the ID, the version and the route", async function () {
    const t = await ticketOf();
    const base = tradeCommitment(t);
    const variants = [
      { ...t, salt: `0x${"cd".repeat(32)}` },
      { ...t, id: "T-7KQ4-M2XD-9PWB" },
      { ...t, version: 2 },
      { ...t, route: [...t.route].reverse() },
      { ...t, originator: csd.address },
      { ...t, trade: { ...t.trade, settlementDate: "2024-05-16" } },
      { ...t, trade: { ...t.trade, quantity: { ...t.trade.quantity, amount: "1001" } } },
    ];
    for (const v of variants) expect(tradeCommitment(v)).to.not.equal(base);
  });

  it("discloses one field with a proof that verifies against the commitment only", async function () {
    const t = await ticketOf();
    const root = tradeCommitment(t);
    for (const path of ["settlementDate", "quantity.amount", "isin", "$route", "$id"]) {
      const d = discloseField(t, path);
      expect(verifyDisclosure(d, root), path).to.equal(true);
      expect(verifyDisclosure({ ...d, value: "2099-01-01" }, root)).to.equal(false);
      expect(verifyDisclosure({ ...d, salt: SALT }, root)).to.equal(false);
    }
    expect(discloseField(t, "settlementDate").value).to.equal("2024-05-15");
    expect(() => discloseField(t, "nope")).to.throw(InputError, /not a committed field/);
  });

  it("builds OpenZeppelin-style sorted-pair trees with proofs for every leaf", function () {
    for (let n = 1; n <= 12; n++) {
      const leaves = Array.from({ length: n }, (_, i) => keccak256(toUtf8Bytes(`leaf ${i}`)));
      const root = merkleRoot(leaves);
      expect(merkleRoot([...leaves].reverse())).to.equal(root);
      for (const leaf of leaves)
        expect(verifyProof(merkleProof(leaves, leaf)!, root, leaf)).to.equal(true);
      expect(merkleProof(leaves, keccak256(toUtf8Bytes("other")))).to.equal(undefined);
    }
    // Two leaves: the root is keccak256 of the sorted pair, as Hashes.commutativeKeccak256.
    const [a, b] = [keccak256(toUtf8Bytes("a")), keccak256(toUtf8Bytes("b"))];
    const [lo, hi] = a < b ? [a, b] : [b, a];
    expect(merkleRoot([a, b])).to.equal(keccak256(lo + hi.slice(2)));
  });
});

describe("lib/crypto/abi", function () {
  it("encodes exactly like ethers' AbiCoder", async function () {
    const { AbiCoder, hexlify } = await import("ethers");
    const { abiEncode } = await import("../../lib/crypto/abi.js");
    const coder = AbiCoder.defaultAbiCoder();
    const h32 = `0x${"5a".repeat(32)}`;
    for (const text of ["", "a", "x".repeat(32), "é ü 日本", "y".repeat(65)]) {
      expect(
        hexlify(
          abiEncode([{ string: "domain" }, { string: text }, { bytes32: h32 }, { uint32: 7 }]),
        ),
      ).to.equal(coder.encode(["string", "string", "bytes32", "uint32"], ["domain", text, h32, 7]));
    }
    expect(hexlify(abiEncode([{ bytes16: "ab".repeat(16) }, { bytes32: h32 }]))).to.equal(
      coder.encode(["bytes16", "bytes32"], [`0x${"ab".repeat(16)}`, h32]),
    );
    const who = "0x00000000000000000000000000000000000000aa";
    expect(hexlify(abiEncode([{ address: who }, { bytes32: h32 }]))).to.equal(
      coder.encode(["address", "bytes32"], [who, h32]),
    );
    expect(() => abiEncode([{ bytes32: "0x1234" }])).to.throw(TypeError);
  });
});
