import { randomBytes } from "node:crypto";

import { expect } from "chai";
import { decrypt as eciesjsDecrypt, encrypt as eciesjsEncrypt } from "eciesjs";
import { Config } from "eciesjs/config";

import { ECIES_OVERHEAD, eciesDecoy, eciesDecrypt, eciesEncrypt } from "../../lib/crypto/ecies.js";
import { keyPairFromSeed } from "../../lib/crypto/keys.js";
import { seed } from "./fixtures.js";

const config = new Config();
config.ellipticCurve = "x25519";
config.symmetricAlgorithm = "xchacha20";

const recipient = keyPairFromSeed(seed("ecies-recipient", 1), 1);
const other = keyPairFromSeed(seed("ecies-other", 1), 1);
const pub = Buffer.from(recipient.publicKey.slice(2), "hex");

describe("ECIES (x25519, HKDF-SHA256, XChaCha20-Poly1305)", function () {
  it("lays out eciesjs x25519/xchacha20 ciphertexts: ephemeral key, nonce, tag, body", function () {
    for (const size of [0, 1, 255, 1024, 4096]) {
      const plaintext = randomBytes(size);
      const ours = eciesEncrypt(pub, plaintext);
      expect(ours.length).to.equal(size + ECIES_OVERHEAD);
      expect(Buffer.from(eciesjsDecrypt(recipient.privateKey, ours, config))).to.deep.equal(
        plaintext,
      );
      const theirs = eciesjsEncrypt(pub, plaintext, config);
      expect(Buffer.from(eciesDecrypt(recipient.privateKey, theirs))).to.deep.equal(plaintext);
    }
  });

  it("refuses a wrong key and any changed byte", function () {
    const ciphertext = eciesEncrypt(pub, randomBytes(300));
    expect(() => eciesDecrypt(other.privateKey, ciphertext)).to.throw();
    for (const at of [0, 40, 60, ECIES_OVERHEAD, ciphertext.length - 1]) {
      const changed = Uint8Array.from(ciphertext);
      changed[at] ^= 1;
      expect(() => eciesDecrypt(recipient.privateKey, changed), `byte ${at}`).to.throw();
    }
    expect(() => eciesDecrypt(recipient.privateKey, ciphertext.subarray(0, 50))).to.throw();
  });

  it("refuses a low-order ephemeral key", function () {
    const ciphertext = eciesEncrypt(pub, randomBytes(64));
    ciphertext.fill(0, 0, 32);
    expect(() => eciesDecrypt(recipient.privateKey, ciphertext)).to.throw();
  });

  it("makes decoys of the same length that start with a valid public key and open for nobody", function () {
    const decoy = eciesDecoy(512);
    expect(decoy.length).to.equal(512 + ECIES_OVERHEAD);
    // A valid x25519 public key: eciesjs accepts it as an ephemeral key; only the tag fails.
    expect(() => eciesDecrypt(recipient.privateKey, decoy)).to.throw(
      /authenticate|tag|unsupported state/i,
    );
    expect(() => eciesjsDecrypt(recipient.privateKey, decoy, config)).to.throw(
      /authenticate|tag|invalid/i,
    );
    expect(Buffer.from(eciesDecoy(512)).equals(Buffer.from(decoy))).to.equal(false);
  });
});
