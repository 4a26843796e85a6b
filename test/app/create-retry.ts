/**
 * A create whose outcome is unknown (the node was lost before or after the transaction went out)
 * is retried with the same `--id`: it is registered exactly once, and the envelopes in the store
 * are the ones the chain committed to.
 */
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { expect } from "chai";
import hre from "hardhat";

import { actAs, type Actor, type App } from "../../lib/app/context.js";
import { createTicket } from "../../lib/app/create.js";
import { amendTicket, approveTicket, rejectTicket, showTicket } from "../../lib/app/tickets.js";
import { taskMode } from "../../lib/cli/output.js";
import { appFor } from "../../lib/cli/task-args.js";
import { ChainError, ContractError, StoreConflictError } from "../../lib/errors.js";
import { readTradeFile } from "../../lib/ticket/file.js";
import { newTicketId } from "../../lib/ticket/id.js";
import { quiet } from "../helpers/quiet.js";

const ROUTE = ["custodian-bank", "securities-firm", "csd"];

describe("retrying after a lost node", function () {
  this.timeout(120_000);
  let dataDir: string;
  let app: App;
  let previousRethrow: boolean;

  const run = (name: string, args: Record<string, unknown>) =>
    quiet(() => hre.tasks.getTask(name).run({ dataDir, registry: "", json: true, ...args }));

  type Mode = "before-send" | "after-send" | "while-pending";

  /**
   * The actor, with its first send failing as if the node died: before broadcasting, after the
   * transaction was mined, or while it is still pending (blocks are then mined by hand).
   */
  async function flakyActor(mode: Mode): Promise<Actor> {
    const actor = await actAs(app, "asset-manager");
    const send = actor.registry.send.bind(actor.registry);
    let failed = false;
    actor.registry.send = async (call) => {
      if (failed) return send(call);
      failed = true;
      if (mode === "after-send") await send(call);
      if (mode === "while-pending") {
        const { provider } = await hre.network.getOrCreate();
        await provider.request({ method: "evm_setAutomine", params: [false] });
        await call();
      }
      throw new ChainError("cannot reach the chain's RPC endpoint", { details: "socket hang up" });
    };
    return actor;
  }

  /** Mines blocks until `body` settles, then turns automine back on. */
  async function mining<T>(body: Promise<T>): Promise<T> {
    const { provider } = await hre.network.getOrCreate();
    let settled = false;
    const outcome = body.then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    );
    void outcome.then(() => (settled = true));
    while (!settled) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      await provider.request({ method: "evm_mine", params: [] });
    }
    await provider.request({ method: "evm_setAutomine", params: [true] });
    const result = await outcome;
    if ("error" in result) throw result.error;
    return result.value;
  }

  before(async function () {
    previousRethrow = taskMode.rethrow;
    taskMode.rethrow = true;
    dataDir = await mkdtemp(join(tmpdir(), "sr-retry-"));
    const { ethers } = await hre.network.getOrCreate();
    const accounts = await ethers.getSigners();
    await run("registry:deploy", {});
    for (const [i, name] of ["asset-manager", ...ROUTE].entries()) {
      await run("party:admit", { address: accounts[i + 1].address, name });
      await run("party:register-key", { as: name });
    }
    app = await appFor(hre, { as: "", dataDir, registry: "", json: true });
  });

  after(async function () {
    taskMode.rethrow = previousRethrow;
    await rm(dataDir, { recursive: true, force: true });
  });

  it("words a revert of the in-process network like one from a node", async function () {
    const trade = await readTradeFile("examples/dvp-japanese-equity-buy.json");
    const created = await createTicket(app, await actAs(app, "asset-manager"), {
      trade,
      route: ROUTE,
    });
    const refusal = await approveTicket(app, await actAs(app, "securities-firm"), created.id).catch(
      (e: unknown) => e,
    );
    expect(refusal).to.be.instanceOf(ContractError);
    expect((refusal as ContractError).oneLine()).to.match(
      new RegExp(
        `^not your turn: ticket ${created.id} waits for custodian-bank \\(0x[0-9a-fA-F]{40}\\)$`,
      ),
    );
  });

  it("keeps a pending amendment's envelopes when the amend is retried", async function () {
    const trade = await readTradeFile("examples/dvp-japanese-equity-buy.json");
    const created = await createTicket(app, await actAs(app, "asset-manager"), {
      trade,
      route: ROUTE,
    });
    await rejectTicket(app, await actAs(app, "custodian-bank"), created.id, { reason: "MONY" });

    const fixed = { ...trade, settlementDate: "2024-05-16" };
    const lost = await amendTicket(app, await flakyActor("while-pending"), created.id, fixed).catch(
      (e: unknown) => e,
    );
    expect(lost).to.be.instanceOf(ChainError);
    const other = { ...trade, settlementDate: "2024-05-17" };
    const retry = await amendTicket(
      app,
      await actAs(app, "asset-manager"),
      created.id,
      other,
    ).catch((e: unknown) => e);
    expect(retry).to.be.instanceOf(StoreConflictError);
    expect((retry as StoreConflictError).oneLine()).to.match(/already sealed in the store/);

    await mining(Promise.resolve());
    const view = await showTicket(app, await actAs(app, "csd"), created.id);
    expect(view.version).to.equal(2);
    expect(view.trade.settlementDate).to.equal("2024-05-16");
  });

  for (const mode of ["before-send", "after-send", "while-pending"] as const) {
    it(`registers the ticket exactly once when the node is lost ${mode.replace("-", " ")}`, async function () {
      const trade = await readTradeFile("examples/dvp-japanese-equity-buy.json");
      const id = newTicketId();
      const actor = await flakyActor(mode);

      const lost = await createTicket(app, actor, { trade, route: ROUTE, id }).catch(
        (e: unknown) => e,
      );
      expect(lost).to.be.instanceOf(ChainError);
      expect((lost as ChainError).oneLine()).to.include(`--id ${id}`);
      expect(await readdir(join(actor.stateDir, "creating"))).to.include(`${id}.json`);

      const retry = createTicket(app, actor, { trade, route: ROUTE, id });
      const retried = mode === "while-pending" ? await mining(retry) : await retry;
      expect(retried.id).to.equal(id);
      // Pending: the first transaction lands first and the resend is refused as a duplicate.
      expect(retried.alreadyRegistered).to.equal(mode !== "before-send");
      expect(await readdir(join(actor.stateDir, "creating"))).to.not.include(`${id}.json`);

      // The chain holds one ticket, and every route party reads the envelopes it committed to.
      for (const name of ROUTE) {
        const view = await showTicket(app, await actAs(app, name), id);
        expect(view.status).to.equal("open");
        expect(view.trade.isin).to.equal(trade.isin);
        expect(view.history.filter((h) => h.kind === "created")).to.have.length(1);
      }

      const again = await createTicket(app, await actAs(app, "asset-manager"), {
        trade,
        route: ROUTE,
        id,
      });
      expect(again.alreadyRegistered).to.equal(true);
    });
  }
});
