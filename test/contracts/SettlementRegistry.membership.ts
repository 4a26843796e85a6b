import { expect } from "chai";

import {
  DEFAULT_ADMIN_ROLE,
  MEMBERSHIP_ROLE,
  PAUSER_ROLE,
  consortiumFixture,
  deployRegistry,
  ethers,
  name,
  networkHelpers,
  pubKey,
} from "./helpers.js";

const { loadFixture } = networkHelpers;

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
      expect(view.encryptionKey).to.equal(ethers.ZeroHash);
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
      const { registry, admin, suspended, custodian } = await loadFixture(consortiumFixture);
      await registry.connect(admin).restoreParty(suspended.address);
      const ticket = ethers.id("ticket:restored");
      await expect(
        registry
          .connect(suspended)
          .createTicket(ticket, ethers.id("t"), ethers.id("e"), [custodian.address]),
      )
        .to.emit(registry, "TicketCreated")
        .withArgs(ticket, suspended.address, ethers.id("t"), ethers.id("e"), [custodian.address]);
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

  describe("registerEncryptionKey", function () {
    it("registers the first key as version 1", async function () {
      const { registry, keyless } = await loadFixture(consortiumFixture);
      const key = pubKey("keyless:first");
      await expect(registry.connect(keyless).registerEncryptionKey(key))
        .to.emit(registry, "EncryptionKeyRegistered")
        .withArgs(keyless.address, 1n, key);
      const view = await registry.getParty(keyless.address);
      expect(view.keyVersion).to.equal(1n);
      expect(view.encryptionKey).to.equal(key);
    });

    it("rotates: bumps the version and keeps older keys readable", async function () {
      const { registry, custodian } = await loadFixture(consortiumFixture);
      const next = pubKey("custodian-bank:rotated");
      await expect(registry.connect(custodian).registerEncryptionKey(next))
        .to.emit(registry, "EncryptionKeyRegistered")
        .withArgs(custodian.address, 2n, next);
      const view = await registry.getParty(custodian.address);
      expect(view.keyVersion).to.equal(2n);
      expect(view.encryptionKey).to.equal(next);
      expect(await registry.encryptionKey(custodian.address, 1)).to.equal(pubKey("custodian-bank"));
      expect(await registry.encryptionKey(custodian.address, 2)).to.equal(next);
      expect(await registry.encryptionKey(custodian.address, 3)).to.equal(ethers.ZeroHash);
    });

    it("lets a suspended party rotate a compromised key", async function () {
      const { registry, suspended } = await loadFixture(consortiumFixture);
      await expect(registry.connect(suspended).registerEncryptionKey(pubKey("fresh")))
        .to.emit(registry, "EncryptionKeyRegistered")
        .withArgs(suspended.address, 2n, pubKey("fresh"));
    });

    it("refuses a caller that is not a party (the admin included)", async function () {
      const { registry, admin, stranger } = await loadFixture(consortiumFixture);
      for (const caller of [admin, stranger]) {
        await expect(registry.connect(caller).registerEncryptionKey(pubKey("x")))
          .to.be.revertedWithCustomError(registry, "SettlementRegistryNotParty")
          .withArgs(caller.address);
      }
    });

    it("refuses a zero key", async function () {
      const { registry, custodian } = await loadFixture(consortiumFixture);
      await expect(
        registry.connect(custodian).registerEncryptionKey(ethers.ZeroHash),
      ).to.be.revertedWithCustomError(registry, "SettlementRegistryInvalidEncryptionKey");
    });

    it("refuses while paused", async function () {
      const { registry, admin, custodian } = await loadFixture(consortiumFixture);
      await registry.connect(admin).pause();
      await expect(
        registry.connect(custodian).registerEncryptionKey(pubKey("x")),
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
      expect(view.encryptionKey).to.equal(ethers.ZeroHash);
      expect(await registry.encryptionKey(stranger.address, 1)).to.equal(ethers.ZeroHash);
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
