import { randomBytes } from "node:crypto";

import { secp256k1 } from "@noble/curves/secp256k1";
import { expect } from "chai";
import { computeAddress, hexlify } from "ethers";

import { tweakedAddresses } from "../../../lib/crypto/secp256k1-batch.js";

const Point = secp256k1.ProjectivePoint;
const N = secp256k1.CURVE.n;

/** address(S + h·G) the slow, obvious way. */
function expected(point: InstanceType<typeof Point>, tweak: bigint): string {
  const sum = point.add(Point.BASE.multiply(tweak));
  return computeAddress(hexlify(sum.toRawBytes(false)))
    .slice(2)
    .toLowerCase();
}

const randomScalar = () => (BigInt(hexlify(randomBytes(32))) % (N - 1n)) + 1n;

describe("tweakedAddresses (batched fixed-base comb)", function () {
  it("agrees with @noble/curves on random points and tweaks, in one batch", function () {
    const points = Array.from({ length: 4 }, () => Point.BASE.multiply(randomScalar()));
    const items = Array.from({ length: 300 }, (_, i) => ({
      point: points[i % points.length],
      tweak: randomScalar(),
    }));
    const got = tweakedAddresses(
      items.map((it) => ({ point: it.point.toAffine(), tweak: it.tweak })),
    );
    expect(got).to.deep.equal(items.map((it) => expected(it.point, it.tweak)));
  });

  it("handles edge tweaks: 1, n - 1, single digits, zero windows", function () {
    const S = Point.BASE.multiply(randomScalar());
    const tweaks = [1n, 2n, 255n, 256n, 1n << 248n, N - 1n, (1n << 255n) + 1n, 0x0100010001n];
    const got = tweakedAddresses(tweaks.map((tweak) => ({ point: S.toAffine(), tweak })));
    expect(got).to.deep.equal(tweaks.map((t) => expected(S, t)));
  });

  it("falls back where an addition would double (S = h·G)", function () {
    // h = 1 leaves G in the accumulator, and S = G: the last addition is a doubling.
    const G = Point.BASE;
    const got = tweakedAddresses([
      { point: G.toAffine(), tweak: 1n },
      { point: G.multiply(5n).toAffine(), tweak: 5n },
      { point: G.toAffine(), tweak: 2n },
    ]);
    expect(got).to.deep.equal([expected(G, 1n), expected(G.multiply(5n), 5n), expected(G, 2n)]);
  });

  it("answers an empty batch with nothing", function () {
    expect(tweakedAddresses([])).to.deep.equal([]);
  });
});
