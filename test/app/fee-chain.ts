/**
 * One-time addresses on a chain that charges gas (the in-process london network, base fee above
 * zero): an unfunded one-time address cannot send its decision; with `fundOneTime` the party pays
 * it from its own address just before, which works and, as documented, links the two on chain.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { expect } from "chai";
import hre from "hardhat";

import { actAs, createApp, type App } from "../../lib/app/context.js";
import { createTicket } from "../../lib/app/create.js";
import { admitParty, registerKey } from "../../lib/app/parties.js";
import { approveTicket } from "../../lib/app/tickets.js";
import { ConfigError } from "../../lib/errors.js";
import { SqliteEnvelopeStore } from "../../lib/store/sqlite.js";
import { readTradeFile } from "../../lib/ticket/file.js";

describe("one-time addresses on a chain that charges gas", function () {
  this.timeout(60_000);
  let dataDir: string;

  after(async function () {
    await rm(dataDir, { recursive: true, force: true });
  });

  it("pays a one-time address from the party's own address only when told to, and says what that links", async function () {
    const { ethers } = await hre.network.create({ network: "hardhatMainnet" });
    const block = await ethers.provider.getBlock("latest");
    expect(block?.baseFeePerGas ?? 0n).to.be.greaterThan(0n);
    const signers = await ethers.getSigners();
    const registry = await ethers.deployContract("SettlementRegistry", [signers[0].address]);
    dataDir = await mkdtemp(join(tmpdir(), "sr-fee-"));
    const parts = {
      provider: ethers.provider,
      signers,
      store: SqliteEnvelopeStore.open(join(dataDir, "store")),
      config: { registry: await registry.getAddress(), dataDir, delivery: false },
    };
    const free: App = await createApp(parts);
    for (const [i, name] of ["asset-manager", "custodian-bank"].entries()) {
      await admitParty(free, signers[0], signers[i + 1].address, name);
      await registerKey(free, await actAs(free, name));
    }
    const trade = await readTradeFile("examples/dvp-japanese-equity-buy.json");
    const { id, ticketKey } = await createTicket(free, await actAs(free, "asset-manager"), {
      trade,
      route: ["custodian-bank"],
    });

    // Without funding, the one-time address cannot pay: nothing lands.
    const refused = await approveTicket(free, await actAs(free, "custodian-bank"), id).catch(
      (e: unknown) => e,
    );
    expect(refused).to.be.instanceOf(ConfigError);
    expect((refused as ConfigError).shortMessage).to.equal(
      "this chain charges gas, and a one-time address holds none",
    );
    expect((refused as ConfigError).hint).to.match(/FUND_ONE_TIME=1 .* your place on this ticket/);
    expect((await free.registry.ticket(ticketKey)).status).to.equal("open");

    // With funding chosen, the bank pays its slot just before deciding.
    const funded = await createApp({ ...parts, fundOneTime: true });
    const bank = await actAs(funded, "custodian-bank");
    const before = await ethers.provider.getBlockNumber();
    const done = await approveTicket(funded, bank, id);
    expect(done.status).to.equal("completed");
    const transfers = [];
    for (let b = before + 1; b <= (await ethers.provider.getBlockNumber()); b++) {
      for (const tx of (await ethers.provider.getBlock(b, true))?.prefetchedTransactions ?? []) {
        if (tx.from === bank.party.address && tx.value > 0n) transfers.push(tx);
      }
    }
    // The documented price: one public transfer from the bank to its one-time address.
    expect(transfers).to.have.length(1);
    const approval = await ethers.provider.getTransactionReceipt(done.txHash);
    expect(approval?.from).to.equal(transfers[0].to);
  });
});
