/**
 * lib/app as a plain library: built with createApp from an ethers provider, wallets, a folder
 * store and a config, against an anvil node, with no Hardhat runtime object anywhere. This is
 * how a web server or any other Node program uses the use cases.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { expect } from "chai";
import { ContractFactory, JsonRpcProvider, NonceManager, Wallet } from "ethers";

import { actAs, createApp, type App } from "../../lib/app/context.js";
import { createTicket } from "../../lib/app/create.js";
import { admitParty, registerKey } from "../../lib/app/parties.js";
import { amendTicket, approveTicket, rejectTicket, showTicket } from "../../lib/app/tickets.js";
import { listTickets } from "../../lib/app/watch.js";
import { REGISTRY_ABI } from "../../lib/chain/registry.js";
import { SqliteEnvelopeStore } from "../../lib/store/sqlite.js";
import { DEV_ACCOUNTS, startAnvil, type AnvilNode } from "../../lib/testing/anvil.js";
import { readTradeFile } from "../../lib/ticket/file.js";
import { SettlementRegistry__factory } from "../../typechain-types/factories/SettlementRegistry__factory.js";

const NAMES = ["asset-manager", "custodian-bank", "csd"] as const;

describe("lib/app without Hardhat: createApp from a provider, signers, a store and a config", function () {
  this.timeout(60_000);
  let node: AnvilNode | undefined;
  let provider: JsonRpcProvider | undefined;
  let dataDir: string;
  let app: App;

  before(async function () {
    node = await startAnvil();
    provider = new JsonRpcProvider(node.url, node.chainId, {
      staticNetwork: true,
      cacheTimeout: -1,
      pollingInterval: 50,
    });
    const signers = DEV_ACCOUNTS.slice(0, NAMES.length + 1).map(
      (a) => new NonceManager(new Wallet(a.privateKey, provider)),
    );
    const admin = signers[0];
    const factory = new ContractFactory(REGISTRY_ABI, SettlementRegistry__factory.bytecode, admin);
    const deployed = await factory.deploy(await admin.getAddress());
    await deployed.waitForDeployment();

    dataDir = await mkdtemp(join(tmpdir(), "sr-plain-"));
    app = await createApp({
      provider,
      signers,
      store: SqliteEnvelopeStore.open(join(dataDir, "store")),
      config: { registry: await deployed.getAddress(), dataDir, networkName: "anvil" },
    });
    for (const [i, name] of NAMES.entries()) {
      await admitParty(app, admin, await signers[i + 1].getAddress(), name);
      await registerKey(app, await actAs(app, name));
    }
  });

  after(async function () {
    provider?.destroy();
    await node?.stop();
    if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
  });

  it("is a plain object of explicit parts", function () {
    expect(app.networkName).to.equal("anvil");
    expect(app.chainId).to.equal(BigInt(node!.chainId));
    expect(Object.keys(app)).not.to.include("hre");
  });

  it("runs the ticket use cases: create, show, approve, reject, list", async function () {
    const trade = await readTradeFile("examples/dvp-japanese-equity-buy.json");
    const created = await createTicket(app, await actAs(app, "asset-manager"), {
      trade,
      route: ["custodian-bank", "csd"],
    });
    expect(created.alreadyRegistered).to.equal(false);
    expect(created.notified.map((p) => p.name)).to.deep.equal(["custodian-bank", "csd"]);

    const csd = await actAs(app, "csd");
    const view = await showTicket(app, csd, created.id);
    expect(view.verified).to.equal(true);
    expect(view.myRole).to.equal("route");
    expect(view.trade).to.deep.equal(trade);
    expect(view.waitingFor?.name).to.equal("custodian-bank");

    const approved = await approveTicket(app, await actAs(app, "custodian-bank"), created.id);
    expect(approved.status).to.equal("open");
    expect(approved.next?.name).to.equal("csd");

    const returned = await rejectTicket(app, csd, created.id, {
      reason: "DDAT",
      note: "settlement date is a holiday",
    });
    expect(returned.status).to.equal("returned");
    expect(returned.reason.code).to.equal("DDAT");

    const seen = await showTicket(app, await actAs(app, "custodian-bank"), created.id);
    const last = seen.history[seen.history.length - 1];
    expect(last.kind).to.equal("returned");
    expect(last.kind === "returned" ? last.note : undefined).to.equal(
      "settlement date is a holiday",
    );

    const inbox = await listTickets(app, await actAs(app, "custodian-bank"), "all");
    expect(inbox.map((r) => `${r.id}:${r.status}:${r.role}`)).to.deep.equal([
      `${created.id}:returned:route`,
    ]);
  });

  it("reads indexed tickets from the version events the index keeps, not from block 0", async function () {
    const trade = await readTradeFile("examples/dvp-japanese-equity-buy.json");
    const manager = await actAs(app, "asset-manager");
    const created = await createTicket(app, manager, { trade, route: ["custodian-bank", "csd"] });
    const csd = await actAs(app, "csd");
    await listTickets(app, csd, "all");
    await amendTicket(app, manager, created.id, trade);

    // Every log query of the next sync: the new blocks only, none per ticket from block 0.
    const queries: { fromBlock?: string; topics?: unknown[] }[] = [];
    const send = provider!.send.bind(provider);
    provider!.send = async (method: string, params: unknown[] | Record<string, unknown>) => {
      if (method === "eth_getLogs") queries.push((params as [(typeof queries)[number]])[0]);
      return send(method, params);
    };
    try {
      const rows = await listTickets(app, csd, "all");
      const row = rows.find((r) => r.id === created.id);
      expect(row?.version).to.equal(2);
      expect(row?.status).to.equal("open");
    } finally {
      provider!.send = send;
    }
    expect(queries.length).to.be.greaterThan(0);
    for (const q of queries) expect(q.fromBlock).to.not.equal("0x0");
  });
});
