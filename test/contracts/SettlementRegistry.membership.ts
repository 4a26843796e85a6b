import { secp256k1 } from "@noble/curves/secp256k1";
import { expect } from "chai";

import { x25519 } from "../../lib/crypto/x25519.js";

import {
  DEFAULT_ADMIN_ROLE,
  MEMBERSHIP_ROLE,
  PAUSER_ROLE,
  consortiumFixture,
  deployRegistry,
  ethers,
  name,
  networkHelpers,
  oneTimeRoute,
  partyKeys,
  registerKeys,
} from "./helpers.js";

const { loadFixture } = networkHelpers;

const P = 2n ** 255n - 19n;
const SECP_P = 2n ** 256n - 2n ** 32n - 977n;

/** The five canonical small-order x25519 encodings the registry refuses (as in X25519Key.sol). */
const SMALL_ORDER = [
  `0x${"00".repeat(32)}`,
  `0x01${"00".repeat(31)}`,
  `0xec${"ff".repeat(30)}7f`,
  "0xe0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
  "0x5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
];

/** A little-endian 32-byte key as the big-endian 0x-hex of its integer. */
function leHex(key: string): string {
  return ethers.hexlify(ethers.getBytes(key).reverse());
}

/** An integer below 2^256 as a little-endian 32-byte key. */
function toLeHex(u: bigint): string {
  return ethers.hexlify(ethers.getBytes(ethers.toBeHex(u, 32)).reverse());
}

/** The smallest x (64 hex digits) for which no secp256k1 point exists. */
function firstOffCurveX(): string {
  for (let x = 1n; ; x++) {
    const hex = x.toString(16).padStart(64, "0");
    try {
      secp256k1.ProjectivePoint.fromHex(`02${hex}`);
    } catch {
      return hex;
    }
  }
}

/** Storage slot of `address[] _members` (AccessControl._roles = 0, Pausable._paused = 1, then ours). */
const MEMBERS_SLOT = 7n;

describe("SettlementRegistry: membership", function () {
  describe("constructor", function () {
    it("grants the admin, membership and pauser roles to the admin", async function () {
      const { registry, signers } = await loadFixture(deployRegistry);
      const admin = signers[0].address;
      expect(await registry.hasRole(DEFAULT_ADMIN_ROLE, admin)).to.equal(true);
      expect(await registry.hasRole(MEMBERSHIP_ROLE, admin)).to.equal(true);
      expect(await registry.hasRole(PAUSER_ROLE, admin)).to.equal(true);
      expect(await registry.MEMBERSHIP_ROLE()).to.equal(MEMBERSHIP_ROLE);
      expect(await registry.PAUSER_ROLE()).to.equal(PAUSER_ROLE);
      expect(await registry.partyCount()).to.equal(0n);
      expect(await registry.paused()).to.equal(false);
    });

    it("refuses the zero address as admin", async function () {
      const factory = await ethers.getContractFactory("SettlementRegistry");
      await expect(factory.deploy(ethers.ZeroAddress)).to.be.revertedWithCustomError(
        factory,
        "SettlementRegistryZeroAddress",
      );
    });

    it("reports the AccessControl and ERC-165 interfaces", async function () {
      const { registry } = await loadFixture(deployRegistry);
      expect(await registry.supportsInterface("0x7965db0b")).to.equal(true); // IAccessControl
      expect(await registry.supportsInterface("0x01ffc9a7")).to.equal(true); // IERC165
      expect(await registry.supportsInterface("0xffffffff")).to.equal(false);
    });
  });

  describe("admitParty", function () {
    it("admits a party, emits PartyAdmitted and fills the directory", async function () {
      const { registry, signers } = await loadFixture(deployRegistry);
      const [admin, alice, bob] = signers;
      await expect(registry.connect(admin).admitParty(alice.address, name("alice")))
        .to.emit(registry, "PartyAdmitted")
        .withArgs(alice.address, 1n, name("alice"));
      await expect(registry.connect(admin).admitParty(bob.address, name("bob")))
        .to.emit(registry, "PartyAdmitted")
        .withArgs(bob.address, 2n, name("bob"));

      expect(await registry.partyCount()).to.equal(2n);
      expect(await registry.partyAt(1)).to.equal(alice.address);
      expect(await registry.partyAt(2)).to.equal(bob.address);
      expect(await registry.partyByName(name("bob"))).to.equal(bob.address);
      const view = await registry.getParty(bob.address);
      expect(view.index).to.equal(2n);
      expect(view.keyVersion).to.equal(0n);
      expect(view.suspended).to.equal(false);
      expect(view.name).to.equal(name("bob"));
    });

    it("refuses a caller without MEMBERSHIP_ROLE", async function () {
      const { registry, originator, stranger } = await loadFixture(consortiumFixture);
      for (const caller of [originator, stranger]) {
        await expect(registry.connect(caller).admitParty(stranger.address, name("stranger")))
          .to.be.revertedWithCustomError(registry, "AccessControlUnauthorizedAccount")
          .withArgs(caller.address, MEMBERSHIP_ROLE);
      }
    });

    it("refuses the zero address", async function () {
      const { registry, admin } = await loadFixture(consortiumFixture);
      await expect(
        registry.connect(admin).admitParty(ethers.ZeroAddress, name("nobody")),
      ).to.be.revertedWithCustomError(registry, "SettlementRegistryZeroAddress");
    });

    it("refuses a party admitted twice", async function () {
      const { registry, admin, custodian } = await loadFixture(consortiumFixture);
      await expect(registry.connect(admin).admitParty(custodian.address, name("another-name")))
        .to.be.revertedWithCustomError(registry, "SettlementRegistryPartyAlreadyAdmitted")
        .withArgs(custodian.address);
    });

    it("refuses an empty name", async function () {
      const { registry, admin, stranger } = await loadFixture(consortiumFixture);
      await expect(registry.connect(admin).admitParty(stranger.address, ethers.ZeroHash))
        .to.be.revertedWithCustomError(registry, "SettlementRegistryInvalidName")
        .withArgs(ethers.ZeroHash, ethers.ZeroAddress);
    });

    it("refuses a name another party holds", async function () {
      const { registry, admin, stranger, custodian } = await loadFixture(consortiumFixture);
      await expect(registry.connect(admin).admitParty(stranger.address, name("custodian-bank")))
        .to.be.revertedWithCustomError(registry, "SettlementRegistryInvalidName")
        .withArgs(name("custodian-bank"), custodian.address);
    });

    it("refuses a party once the directory holds 2^24 - 1 entries", async function () {
      const { registry, admin, stranger } = await loadFixture(consortiumFixture);
      const address = await registry.getAddress();
      // The slot really is the directory's length: it holds partyCount().
      const raw = await ethers.provider.getStorage(address, MEMBERS_SLOT);
      expect(BigInt(raw)).to.equal(await registry.partyCount());
      const full = 2n ** 24n - 1n;
      await networkHelpers.setStorageAt(address, MEMBERS_SLOT, full);
      expect(await registry.partyCount()).to.equal(full);
      await expect(
        registry.connect(admin).admitParty(stranger.address, name("one-too-many")),
      ).to.be.revertedWithCustomError(registry, "SettlementRegistryDirectoryFull");
    });

    it("still works while the registry is paused", async function () {
      const { registry, admin, stranger } = await loadFixture(consortiumFixture);
      await registry.connect(admin).pause();
      await expect(registry.connect(admin).admitParty(stranger.address, name("late-joiner")))
        .to.emit(registry, "PartyAdmitted")
        .withArgs(stranger.address, 13n, name("late-joiner"));
    });
  });

  describe("suspendParty / restoreParty", function () {
    it("suspends and restores a party with events", async function () {
      const { registry, admin, custodian } = await loadFixture(consortiumFixture);
      await expect(registry.connect(admin).suspendParty(custodian.address))
        .to.emit(registry, "PartySuspended")
        .withArgs(custodian.address);
      expect((await registry.getParty(custodian.address)).suspended).to.equal(true);
      await expect(registry.connect(admin).restoreParty(custodian.address))
        .to.emit(registry, "PartyRestored")
        .withArgs(custodian.address);
      expect((await registry.getParty(custodian.address)).suspended).to.equal(false);
    });

    it("lets a restored party act again", async function () {
      const { registry, admin, suspended } = await loadFixture(consortiumFixture);
      await registry.connect(admin).restoreParty(suspended.address);
      const r = await oneTimeRoute(["custodian-bank"]);
      const ref = ethers.id("ref:restored");
      await expect(
        registry
          .connect(suspended)
          .createTicket(ref, ethers.id("t"), ethers.id("e"), r.route, r.ephemeralKey, r.viewTags),
      ).to.emit(registry, "TicketCreated");
    });

    it("refuses callers without MEMBERSHIP_ROLE", async function () {
      const { registry, custodian, suspended } = await loadFixture(consortiumFixture);
      await expect(registry.connect(custodian).suspendParty(custodian.address))
        .to.be.revertedWithCustomError(registry, "AccessControlUnauthorizedAccount")
        .withArgs(custodian.address, MEMBERSHIP_ROLE);
      await expect(registry.connect(suspended).restoreParty(suspended.address))
        .to.be.revertedWithCustomError(registry, "AccessControlUnauthorizedAccount")
        .withArgs(suspended.address, MEMBERSHIP_ROLE);
    });

    it("refuses to suspend or restore an address that is not a party", async function () {
      const { registry, admin, stranger } = await loadFixture(consortiumFixture);
      await expect(registry.connect(admin).suspendParty(stranger.address))
        .to.be.revertedWithCustomError(registry, "SettlementRegistryNotParty")
        .withArgs(stranger.address);
      await expect(registry.connect(admin).restoreParty(stranger.address))
        .to.be.revertedWithCustomError(registry, "SettlementRegistryNotParty")
        .withArgs(stranger.address);
    });

    it("refuses to suspend a suspended party", async function () {
      const { registry, admin, suspended } = await loadFixture(consortiumFixture);
      await expect(registry.connect(admin).suspendParty(suspended.address))
        .to.be.revertedWithCustomError(registry, "SettlementRegistryPartySuspended")
        .withArgs(suspended.address);
    });

    it("refuses to restore a party that is not suspended", async function () {
      const { registry, admin, custodian } = await loadFixture(consortiumFixture);
      await expect(registry.connect(admin).restoreParty(custodian.address))
        .to.be.revertedWithCustomError(registry, "SettlementRegistryPartyNotSuspended")
        .withArgs(custodian.address);
    });

    it("still works while the registry is paused", async function () {
      const { registry, admin, custodian } = await loadFixture(consortiumFixture);
      await registry.connect(admin).pause();
      await expect(registry.connect(admin).suspendParty(custodian.address))
        .to.emit(registry, "PartySuspended")
        .withArgs(custodian.address);
      await expect(registry.connect(admin).restoreParty(custodian.address))
        .to.emit(registry, "PartyRestored")
        .withArgs(custodian.address);
    });
  });

  describe("registerKeys", function () {
    it("registers the first key pair as version 1", async function () {
      const { registry, keyless } = await loadFixture(consortiumFixture);
      const keys = partyKeys("keyless");
      await expect(registry.connect(keyless).registerKeys(keys.viewingKey, keys.spendingKey))
        .to.emit(registry, "PartyKeysRegistered")
        .withArgs(keyless.address, 1n, keys.viewingKey, keys.spendingKey);
      expect((await registry.getParty(keyless.address)).keyVersion).to.equal(1n);
      expect([...(await registry.partyKeys(keyless.address, 1))]).to.deep.equal([
        keys.viewingKey,
        keys.spendingKey,
      ]);
    });

    it("rotates: bumps the version and keeps older key pairs readable", async function () {
      const { registry, custodian } = await loadFixture(consortiumFixture);
      const next = partyKeys("custodian-bank", 2);
      await expect(registry.connect(custodian).registerKeys(next.viewingKey, next.spendingKey))
        .to.emit(registry, "PartyKeysRegistered")
        .withArgs(custodian.address, 2n, next.viewingKey, next.spendingKey);
      expect((await registry.getParty(custodian.address)).keyVersion).to.equal(2n);
      const first = partyKeys("custodian-bank", 1);
      expect([...(await registry.partyKeys(custodian.address, 1))]).to.deep.equal([
        first.viewingKey,
        first.spendingKey,
      ]);
      expect([...(await registry.partyKeys(custodian.address, 2))]).to.deep.equal([
        next.viewingKey,
        next.spendingKey,
      ]);
      expect([...(await registry.partyKeys(custodian.address, 3))]).to.deep.equal([
        ethers.ZeroHash,
        "0x",
      ]);
    });

    it("keeps both spending-key parities apart", async function () {
      const { registry, keyless } = await loadFixture(consortiumFixture);
      // Walk the labels until both prefixes have been registered and read back.
      const seen = new Set<string>();
      for (let i = 0; seen.size < 2; i++) {
        const keys = partyKeys(`parity-${i}`);
        await registerKeys(registry, keyless, keys);
        const version = (await registry.getParty(keyless.address)).keyVersion;
        const [, spending] = await registry.partyKeys(keyless.address, version);
        expect(spending).to.equal(keys.spendingKey);
        seen.add(keys.spendingKey.slice(0, 4));
      }
    });

    it("lets a suspended party rotate a compromised key", async function () {
      const { registry, suspended } = await loadFixture(consortiumFixture);
      const keys = partyKeys("suspended", 2);
      await expect(registry.connect(suspended).registerKeys(keys.viewingKey, keys.spendingKey))
        .to.emit(registry, "PartyKeysRegistered")
        .withArgs(suspended.address, 2n, keys.viewingKey, keys.spendingKey);
    });

    it("refuses a caller that is not a party (the admin included)", async function () {
      const { registry, admin, stranger } = await loadFixture(consortiumFixture);
      const keys = partyKeys("x");
      for (const caller of [admin, stranger]) {
        await expect(registry.connect(caller).registerKeys(keys.viewingKey, keys.spendingKey))
          .to.be.revertedWithCustomError(registry, "SettlementRegistryNotParty")
          .withArgs(caller.address);
      }
    });

    it("refuses every small-order x25519 key, and each is one", async function () {
      const { registry, custodian } = await loadFixture(consortiumFixture);
      const spending = partyKeys("custodian-bank", 2).spendingKey;
      for (const key of SMALL_ORDER) {
        // Key agreement with it gives the all-zero secret for any private key: it is small-order.
        expect(() => x25519(ethers.randomBytes(32), ethers.getBytes(key)), key).to.throw();
        await expect(registry.connect(custodian).registerKeys(key, spending))
          .to.be.revertedWithCustomError(registry, "SettlementRegistryInvalidX25519Key")
          .withArgs(key);
      }
    });

    it("refuses every non-canonical x25519 encoding (u >= 2^255 - 19, top bit set)", async function () {
      const { registry, custodian } = await loadFixture(consortiumFixture);
      const next = partyKeys("custodian-bank", 2);
      const good = BigInt(leHex(next.viewingKey));
      const nonCanonical = [
        P, // = 0
        P + 1n, // = 1
        P + 9n, // the base point, non-canonically
        2n ** 255n - 1n,
        good + 2n ** 255n, // a valid key with the top bit set
        2n ** 256n - 1n,
        ...SMALL_ORDER.map((k) => BigInt(leHex(k)) + 2n ** 255n),
      ];
      for (const u of nonCanonical) {
        const key = toLeHex(u);
        await expect(registry.connect(custodian).registerKeys(key, next.spendingKey))
          .to.be.revertedWithCustomError(registry, "SettlementRegistryInvalidX25519Key")
          .withArgs(key);
      }
      // The largest canonical keys pass the range check (p - 2 has large order).
      await expect(
        registry.connect(custodian).registerKeys(toLeHex(P - 2n), next.spendingKey),
      ).to.emit(registry, "PartyKeysRegistered");
    });

    it("refuses a spending key that is not a compressed secp256k1 point", async function () {
      const { registry, custodian } = await loadFixture(consortiumFixture);
      const next = partyKeys("custodian-bank", 2);
      const uncompressed = ethers.SigningKey.computePublicKey(next.spendingPrivateKey, false);
      const offCurve = firstOffCurveX();
      const bad = [
        "0x",
        next.spendingKey.slice(0, -2), // 32 bytes
        uncompressed, // 65 bytes: only the compressed form is accepted
        `0x04${next.spendingKey.slice(4)}`, // wrong prefix
        `0x00${next.spendingKey.slice(4)}`,
        `0x02${offCurve}`, // x^3 + 7 is not a square
        `0x03${offCurve}`,
        `0x02${SECP_P.toString(16)}`, // x = p
        `0x02${"ff".repeat(32)}`,
      ];
      for (const key of bad) {
        await expect(registry.connect(custodian).registerKeys(next.viewingKey, key))
          .to.be.revertedWithCustomError(registry, "SettlementRegistryInvalidSpendingKey")
          .withArgs(key);
      }
    });

    it("refuses while paused", async function () {
      const { registry, admin, custodian } = await loadFixture(consortiumFixture);
      await registry.connect(admin).pause();
      const keys = partyKeys("custodian-bank", 2);
      await expect(
        registry.connect(custodian).registerKeys(keys.viewingKey, keys.spendingKey),
      ).to.be.revertedWithCustomError(registry, "EnforcedPause");
    });
  });

  describe("setStoreEndpoint", function () {
    it("publishes, replaces and clears the endpoint", async function () {
      const { registry, csd } = await loadFixture(consortiumFixture);
      expect(await registry.storeEndpoint(csd.address)).to.equal("");
      const url = "https://store.csd.example/v1";
      await expect(registry.connect(csd).setStoreEndpoint(url))
        .to.emit(registry, "StoreEndpointChanged")
        .withArgs(csd.address, url);
      expect(await registry.storeEndpoint(csd.address)).to.equal(url);
      await expect(registry.connect(csd).setStoreEndpoint(""))
        .to.emit(registry, "StoreEndpointChanged")
        .withArgs(csd.address, "");
      expect(await registry.storeEndpoint(csd.address)).to.equal("");
    });

    it("refuses a caller that is not a party (the admin included)", async function () {
      const { registry, admin, stranger } = await loadFixture(consortiumFixture);
      for (const caller of [admin, stranger]) {
        await expect(registry.connect(caller).setStoreEndpoint("https://x.example"))
          .to.be.revertedWithCustomError(registry, "SettlementRegistryNotParty")
          .withArgs(caller.address);
      }
    });

    it("refuses while paused", async function () {
      const { registry, admin, csd } = await loadFixture(consortiumFixture);
      await registry.connect(admin).pause();
      await expect(
        registry.connect(csd).setStoreEndpoint("https://x.example"),
      ).to.be.revertedWithCustomError(registry, "EnforcedPause");
    });
  });

  describe("pause / unpause", function () {
    it("pauses and unpauses with events", async function () {
      const { registry, admin } = await loadFixture(consortiumFixture);
      await expect(registry.connect(admin).pause())
        .to.emit(registry, "Paused")
        .withArgs(admin.address);
      expect(await registry.paused()).to.equal(true);
      await expect(registry.connect(admin).unpause())
        .to.emit(registry, "Unpaused")
        .withArgs(admin.address);
      expect(await registry.paused()).to.equal(false);
    });

    it("refuses callers without PAUSER_ROLE", async function () {
      const { registry, admin, originator } = await loadFixture(consortiumFixture);
      await expect(registry.connect(originator).pause())
        .to.be.revertedWithCustomError(registry, "AccessControlUnauthorizedAccount")
        .withArgs(originator.address, PAUSER_ROLE);
      await registry.connect(admin).pause();
      await expect(registry.connect(originator).unpause())
        .to.be.revertedWithCustomError(registry, "AccessControlUnauthorizedAccount")
        .withArgs(originator.address, PAUSER_ROLE);
    });

    it("refuses to pause twice or to unpause when running", async function () {
      const { registry, admin } = await loadFixture(consortiumFixture);
      await expect(registry.connect(admin).unpause()).to.be.revertedWithCustomError(
        registry,
        "ExpectedPause",
      );
      await registry.connect(admin).pause();
      await expect(registry.connect(admin).pause()).to.be.revertedWithCustomError(
        registry,
        "EnforcedPause",
      );
    });
  });

  describe("directory views", function () {
    it("answer zero for unknown positions, names and parties", async function () {
      const { registry, stranger } = await loadFixture(consortiumFixture);
      const count = await registry.partyCount();
      expect(count).to.equal(12n);
      expect(await registry.partyAt(0)).to.equal(ethers.ZeroAddress);
      expect(await registry.partyAt(count + 1n)).to.equal(ethers.ZeroAddress);
      expect(await registry.partyByName(name("nobody"))).to.equal(ethers.ZeroAddress);
      expect(await registry.partyByName(ethers.ZeroHash)).to.equal(ethers.ZeroAddress);
      const view = await registry.getParty(stranger.address);
      expect(view.index).to.equal(0n);
      expect(view.keyVersion).to.equal(0n);
      expect(view.suspended).to.equal(false);
      expect(view.name).to.equal(ethers.ZeroHash);
      expect([...(await registry.partyKeys(stranger.address, 1))]).to.deep.equal([
        ethers.ZeroHash,
        "0x",
      ]);
    });

    it("list every admitted party in admission order", async function () {
      const { registry, originator, custodian, broker, csd } = await loadFixture(consortiumFixture);
      const expected = [originator, custodian, broker, csd].map((s) => s.address);
      for (const [i, address] of expected.entries()) {
        expect(await registry.partyAt(i + 1)).to.equal(address);
        const view = await registry.getParty(address);
        expect(view.index).to.equal(BigInt(i + 1));
        expect(await registry.partyByName(view.name)).to.equal(address);
      }
    });
  });
});
