/**
 * The registry must run on london-era private chains (Besu, Geth), which lack PUSH0 (Shanghai).
 * This suite runs the full approval flow on a simulated london chain and checks the bytecode.
 */
import { expect } from "chai";
import { network } from "hardhat";

import { ENVELOPE, REF, Status, TRADE, name } from "./helpers.js";
import { oneTimeRouteFor, partyKeys } from "../../lib/testing/keys.js";

const PUSH0 = 0x5f;
const PUSH1 = 0x60;
const PUSH32 = 0x7f;

/** Drops the CBOR metadata solc appends (its length sits in the last two bytes). */
function stripMetadata(code: Uint8Array): Uint8Array {
  if (code.length < 2) return code;
  const cborLength = (code[code.length - 2] << 8) | code[code.length - 1];
  return cborLength + 2 <= code.length ? code.slice(0, code.length - cborLength - 2) : code;
}

/** Offsets of every PUSH0 executed as an opcode (PUSH1..PUSH32 data is skipped). */
export function push0Offsets(code: Uint8Array): number[] {
  const found: number[] = [];
  for (let pc = 0; pc < code.length; pc++) {
    const op = code[pc];
    if (op === PUSH0) found.push(pc);
    else if (op >= PUSH1 && op <= PUSH32) pc += op - PUSH1 + 1;
  }
  return found;
}

describe("SettlementRegistry on a london chain", function () {
  it("finds PUSH0 when it is there, and skips PUSH data", function () {
    expect(push0Offsets(Uint8Array.from([0x60, 0x5f, 0x5f, 0x00]))).to.deep.equal([2]);
    expect(push0Offsets(Uint8Array.from([0x7f, ...new Array(32).fill(0x5f), 0x00]))).to.deep.equal(
      [],
    );
  });

  it("deploys, and runs create → approve × 3 to completion", async function () {
    const { ethers, networkHelpers } = await network.create({ override: { hardfork: "london" } });

    // The chain really is pre-Shanghai: code that uses PUSH0 does not deploy.
    const [admin, originator, custodian, broker, csd] = await ethers.getSigners();
    const probe = await ethers.provider.call({ data: "0x5f5ff3" }).then(
      () => "executed",
      (e: unknown) => (e instanceof Error ? e.message : String(e)),
    );
    expect(probe).to.match(/invalid opcode/);
    const block = await ethers.provider.getBlock("latest");
    expect(typeof block?.baseFeePerGas, "london blocks carry a base fee").to.equal("bigint");

    const registry = await ethers.deployContract("SettlementRegistry", [admin.address]);
    const runtime = ethers.getBytes(await ethers.provider.getCode(await registry.getAddress()));
    expect(runtime.length).to.be.greaterThan(0);
    expect(push0Offsets(stripMetadata(runtime)), "PUSH0 in runtime code").to.deep.equal([]);
    const factory = await ethers.getContractFactory("SettlementRegistry");
    const initcode = ethers.getBytes(factory.bytecode);
    expect(push0Offsets(stripMetadata(initcode)), "PUSH0 in creation code").to.deep.equal([]);

    // Key registration calls the modular exponentiation precompile, which london has.
    for (const [signer, label] of [
      [originator, "asset-manager"],
      [custodian, "custodian-bank"],
      [broker, "securities-firm"],
      [csd, "csd"],
    ] as const) {
      await registry.connect(admin).admitParty(signer.address, name(label));
      const keys = partyKeys(label);
      await registry.connect(signer).registerKeys(keys.viewingKey, keys.spendingKey);
    }
    const r = oneTimeRouteFor(["custodian-bank", "securities-firm", "csd"], ethers.provider);
    for (const w of r.wallets) await networkHelpers.setBalance(w.address, 10n ** 18n);
    const ticket = await registry.ticketKey(originator.address, REF);
    await expect(
      registry
        .connect(originator)
        .createTicket(REF, TRADE, ENVELOPE, r.route, r.ephemeralKey, r.viewTags),
    )
      .to.emit(registry, "TicketCreated")
      .withArgs(ticket, originator.address, TRADE, ENVELOPE, r.route, r.ephemeralKey, r.viewTags);
    for (const step of [0, 1]) {
      await expect(registry.connect(r.wallets[step]).approve(ticket, 1, r.route))
        .to.emit(registry, "TicketApproved")
        .withArgs(ticket, r.route[step], 1n, step);
    }
    // A refusal decodes to its custom error on london too.
    await expect(registry.connect(r.wallets[1]).reject(ticket, 1, r.route, ethers.id("reason")))
      .to.be.revertedWithCustomError(registry, "SettlementRegistryAlreadyApproved")
      .withArgs(ticket, r.route[1], 1n);
    await expect(registry.connect(r.wallets[2]).approve(ticket, 1, r.route))
      .to.emit(registry, "TicketCompleted")
      .withArgs(ticket, 1n);
    const view = await registry.getTicket(ticket);
    expect(view.status).to.equal(Status.Completed);
    expect(view.step).to.equal(3n);
  });
});
