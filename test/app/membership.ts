/**
 * The admin's membership tasks. A suspended party receives nothing new (the originator's client
 * refuses to route to it), its own client refuses its decisions, and the originator re-routes a
 * ticket that waits for it; restored, it acts again.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { expect } from "chai";
import hre from "hardhat";

import { actAs, createApp } from "../../lib/app/context.js";
import { createTicket, type CreateResult } from "../../lib/app/create.js";
import { admitParty, registerKey, setSuspended } from "../../lib/app/parties.js";
import { approveTicket, rejectTicket, reviseTicket } from "../../lib/app/tickets.js";
import { taskMode } from "../../lib/cli/output.js";
import { ContractError, PartyError } from "../../lib/errors.js";
import { SqliteEnvelopeStore } from "../../lib/store/sqlite.js";
import { readTradeFile } from "../../lib/ticket/file.js";
import { quiet } from "../helpers/quiet.js";

describe("party:suspend and party:restore", function () {
  this.timeout(60_000);
  let dataDir: string;
  let previousRethrow: boolean;
  const file = join(hre.config.paths.root, "examples", "dvp-japanese-equity-buy.json");
  const run = <T>(name: string, args: Record<string, unknown>) =>
    quiet(
      async () =>
        (await hre.tasks.getTask(name).run({ dataDir, registry: "", json: true, ...args })) as T,
    );

  before(async function () {
    previousRethrow = taskMode.rethrow;
    taskMode.rethrow = true;
    dataDir = await mkdtemp(join(tmpdir(), "sr-membership-"));
    const { ethers } = await hre.network.getOrCreate();
    const accounts = await ethers.getSigners();
    await run("registry:deploy", {});
    for (const [i, name] of ["asset-manager", "custodian-bank", "csd"].entries()) {
      await run("party:admit", { address: accounts[i + 1].address, name });
      await run("party:register-key", { as: name });
    }
  });

  after(async function () {
    taskMode.rethrow = previousRethrow;
    await rm(dataDir, { recursive: true, force: true });
  });

  it("stops a suspended approver with one line, and lets it act again once restored", async function () {
    const { id } = await run<CreateResult>("ticket:create", {
      as: "asset-manager",
      file,
      route: "custodian-bank",
      id: "",
    });
    await run("party:suspend", { party: "custodian-bank" });
    const refused = await run("ticket:approve", { as: "custodian-bank", id }).catch(
      (e: unknown) => e,
    );
    expect(refused).to.be.instanceOf(PartyError);
    expect((refused as PartyError).oneLine()).to.match(
      /^custodian-bank \(0x[0-9a-fA-F]{40}\) is suspended and cannot approve or return tickets — /,
    );

    // Only the admin suspends: a party cannot suspend another.
    const notAdmin = await run("party:restore", {
      as: "asset-manager",
      party: "custodian-bank",
    }).catch((e: unknown) => e);
    expect(notAdmin).to.be.instanceOf(ContractError);
    expect((notAdmin as ContractError).oneLine()).to.match(/lacks the role this needs/);

    await run("party:restore", { party: "custodian-bank" });
    const approved = await run<{ status: string }>("ticket:approve", { as: "custodian-bank", id });
    expect(approved.status).to.equal("completed");
  });

  it("sends a suspended party nothing new, and re-routes the ticket that waits for it", async function () {
    const { id } = await run<CreateResult>("ticket:create", {
      as: "asset-manager",
      file,
      route: "custodian-bank,csd",
      id: "",
    });
    await run("party:suspend", { party: "custodian-bank" });
    try {
      // No new ticket for it...
      const create = await run("ticket:create", {
        as: "asset-manager",
        file,
        route: "custodian-bank,csd",
        id: "",
      }).catch((e: unknown) => e);
      expect(create).to.be.instanceOf(PartyError);
      expect((create as PartyError).oneLine()).to.match(
        /custodian-bank \(0x[0-9a-fA-F]{40}\) is suspended and cannot receive new tickets/,
      );
      // ...no new version of an old one: an amendment points at ticket:reroute.
      const amend = await run("ticket:amend", { as: "asset-manager", id, file }).catch(
        (e: unknown) => e,
      );
      expect(amend).to.be.instanceOf(PartyError);
      expect((amend as PartyError).oneLine()).to.include(`ticket:reroute --id ${id}`);
      const csdBefore = await run<{ myTurn: boolean; id?: string }[]>("ticket:list", {
        as: "csd",
        state: "all",
      });
      expect(csdBefore.find((r) => r.id === id)?.myTurn).to.equal(false);

      const rerouted = await run<{ version: number; route: { name: string }[] }>("ticket:reroute", {
        as: "asset-manager",
        id,
        route: "csd",
      });
      expect(rerouted.version).to.equal(2);
      expect(rerouted.route.map((p) => p.name)).to.deep.equal(["csd"]);
      const waiting = await run<{ id?: string }[]>("ticket:list", {
        as: "csd",
        state: "waiting",
      });
      expect(waiting.map((r) => r.id)).to.include(id);
      const done = await run<{ status: string }>("ticket:approve", { as: "csd", id });
      expect(done.status).to.equal("completed");
    } finally {
      await run("party:restore", { party: "custodian-bank" });
    }
  });

  it("re-reads the acting party from the chain before each decision: a long-running client stops at a suspension made elsewhere", async function () {
    const { ethers } = await hre.network.create();
    const signers = await ethers.getSigners();
    const deployed = await ethers.deployContract("SettlementRegistry", [signers[0].address]);
    // Two clients on one chain: a watcher or dashboard that runs for hours, and the admin's.
    const open = async (folder: string) =>
      createApp({
        provider: ethers.provider,
        signers,
        store: SqliteEnvelopeStore.open(join(dataDir, folder, "store")),
        config: {
          registry: await deployed.getAddress(),
          dataDir: join(dataDir, folder),
          delivery: false,
        },
      });
    const app = await open("long-running");
    const admin = await open("admin");
    for (const [i, name] of ["asset-manager", "custodian-bank", "csd"].entries()) {
      await admitParty(app, signers[0], signers[i + 1].address, name);
      await registerKey(app, await actAs(app, name));
    }
    const manager = await actAs(app, "asset-manager");
    const bank = await actAs(app, "custodian-bank");
    const trade = await readTradeFile(file);
    const { id } = await createTicket(app, manager, { trade, route: ["custodian-bank"] });

    for (const name of ["asset-manager", "custodian-bank"]) {
      await setSuspended(admin, signers[0], name, true);
    }
    const refusal = async (action: Promise<unknown>, role: string) => {
      const refused = await action.catch((e: unknown) => e);
      expect(refused, role).to.be.instanceOf(PartyError);
      expect((refused as PartyError).oneLine()).to.match(
        new RegExp(`\\(0x[0-9a-fA-F]{40}\\) is suspended and cannot ${role}`),
      );
    };
    await refusal(approveTicket(app, bank, id), "approve or return tickets");
    await refusal(
      rejectTicket(app, bank, id, { reason: "NMAT/DDAT" }),
      "approve or return tickets",
    );
    await refusal(createTicket(app, manager, { trade, route: ["csd"] }), "create tickets");
    await refusal(reviseTicket(app, manager, id, { route: ["csd"] }), "revise tickets");

    // Restored elsewhere, the same client acts again.
    for (const name of ["asset-manager", "custodian-bank"]) {
      await setSuspended(admin, signers[0], name, false);
    }
    expect((await approveTicket(app, bank, id)).status).to.equal("completed");
  });

  it("names the option holding an unknown party", async function () {
    const refused = await run("party:suspend", { party: "nobody" }).catch((e: unknown) => e);
    expect(refused).to.be.instanceOf(PartyError);
    expect((refused as PartyError).oneLine()).to.match(/unknown party "nobody"/);
  });
});
