/**
 * The registry must run on london-era private chains (Besu, Geth), which lack PUSH0 (Shanghai).
 * This suite runs the full approval flow on a simulated london chain and checks the bytecode.
 */
import { expect } from "chai";
import { network } from "hardhat";

import { ENVELOPE, NMAT, Status, TICKET, TRADE, bytes4, name, pubKey } from "./helpers.js";

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
    const { ethers } = await network.create({ override: { hardfork: "london" } });

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

    for (const [signer, label] of [
      [originator, "asset-manager"],
      [custodian, "custodian-bank"],
      [broker, "securities-firm"],
      [csd, "csd"],
    ] as const) {
      await registry.connect(admin).admitParty(signer.address, name(label));
      await registry.connect(signer).registerEncryptionKey(pubKey(label));
    }
    const route = [custodian.address, broker.address, csd.address];
    await expect(registry.connect(originator).createTicket(TICKET, TRADE, ENVELOPE, route))
      .to.emit(registry, "TicketCreated")
      .withArgs(TICKET, originator.address, TRADE, ENVELOPE, route);
    for (const [step, approver] of [custodian, broker].entries()) {
      await expect(registry.connect(approver).approve(TICKET))
        .to.emit(registry, "TicketApproved")
        .withArgs(TICKET, approver.address, 1n, step);
    }
    // A refusal decodes to its custom error on london too.
    await expect(registry.connect(broker).reject(TICKET, NMAT, bytes4("DDAT"), ethers.ZeroHash))
      .to.be.revertedWithCustomError(registry, "SettlementRegistryAlreadyApproved")
      .withArgs(TICKET, broker.address, 1n);
    await expect(registry.connect(csd).approve(TICKET))
      .to.emit(registry, "TicketCompleted")
      .withArgs(TICKET, 1n);
    const view = await registry.getTicket(TICKET);
    expect(view.status).to.equal(Status.Completed);
    expect(view.step).to.equal(3n);
  });
});
