/**
 * Zero downtime in the task layer: the network lists two endpoints (proxies in front of two nodes
 * of a chain, or of one node twice) and one dies mid-scenario. `ticket:watch` keeps delivering,
 * decisions go through the surviving endpoint, no transaction is sent twice, and every
 * notification is delivered exactly once across a restart of the watcher.
 */
import { expect } from "chai";
import { dataSlice, id as topicOf } from "ethers";

import { closeApps } from "../../lib/cli/task-args.js";
import { rpc, startRpcProxy, type RpcProxy } from "../../lib/testing/anvil.js";
import {
  EXAMPLE,
  PARTIES,
  ROUTE,
  Session,
  eventually,
  json,
  nonceOf,
  notices,
  privnetEnv,
  removeDir,
  startCli,
  tempDir,
  type PartyName,
  type Running,
} from "./cli.js";

const signature = (n: { block: number; logIndex: number; kind: string }) =>
  `${n.block}:${n.logIndex}:${n.kind}`;

/** Two nodes (or one, twice) of a chain with the registry deployed, and its extra settings. */
export interface WatchChain {
  /** The first endpoint dies in the test; the second survives (the first again if alone). */
  readonly urls: readonly string[];
  readonly registry: string;
  /** Further `privnet` configuration variables (e.g. SR_PRIVNET_CONFIRMATIONS). */
  readonly env?: Readonly<Record<string, string>>;
  stop(): Promise<void>;
}

/**
 * The watcher and the decisions across the death of one endpoint, on the chain `start` brings
 * up: each endpoint is reached through a proxy that the test kills.
 */
export function watchAcrossFailover(label: string, start: () => Promise<WatchChain>) {
  describe(label, function () {
    this.timeout(300_000);
    let chain: WatchChain | undefined;
    let a: RpcProxy | undefined;
    let b: RpcProxy | undefined;
    let work: string | undefined;
    let watcher: Running | undefined;
    let s: Session;

    before(async function () {
      chain = await start();
      a = await startRpcProxy(chain.urls[0]);
      b = await startRpcProxy(chain.urls[1] ?? chain.urls[0]);
      work = await tempDir("watch");
      s = new Session({ ...privnetEnv([a.url, b.url]), ...chain.env }, work, chain.registry);
      await s.setUpParties("task");
    });

    after(async function () {
      await watcher?.stop();
      await closeApps();
      await a?.kill();
      await b?.kill();
      await chain?.stop();
      await removeDir(work);
    });

    it("delivers every notification exactly once, through the surviving endpoint and a restart", async function () {
      const url = chain!.urls[1] ?? chain!.urls[0];
      // The bank looks now and then with `--once`; the CSD keeps a watcher running.
      const bankSaw: ReturnType<typeof notices> = [];
      const bankLooks = async () =>
        bankSaw.push(
          ...notices(
            (await s.ok("ticket:watch", { as: "custodian-bank", once: true, json: true }, "task"))
              .result.stdout,
          ),
        );
      watcher = startCli(
        "ticket:watch",
        { as: "csd", json: true, interval: 100, dataDir: s.dataDir, registry: s.registry },
        s.env,
      );
      const csdSees =
        (kind: string, text = "") =>
        () =>
          notices(watcher!.stdout()).find((n) => n.kind === kind && n.text.includes(text));

      const { id } = json<{ id: string }>(
        await s.run(
          "ticket:create",
          { as: "asset-manager", file: EXAMPLE, route: ROUTE, json: true },
          "task",
        ),
      );
      await eventually("the CSD's watcher to announce the new ticket", csdSees("created", id));
      await bankLooks();

      // One node dies. The bank approves through the other one, with one transaction.
      await a!.kill();
      const approved = topicOf("TicketApproved(bytes32,address,uint32,uint8)");
      // On a chain that charges gas, the party's own address pays its one-time address first.
      const funds = /^(1|true|yes)$/i.test(s.env.SR_PRIVNET_FUND_ONE_TIME ?? "") ? 1 : 0;
      const approve = async (as: PartyName, via: "cli" | "task") => {
        const before = await nonceOf(url, PARTIES[as].address);
        await s.ok("ticket:approve", { as, id }, via);
        // The approval comes from the one-time address of the party's slot, never from the
        // party's own address; that address sent exactly one transaction, however many endpoints
        // failed.
        expect(await nonceOf(url, PARTIES[as].address), `${as} sent no approval itself`).to.equal(
          before + funds,
        );
        const logs = (await rpc(url, "eth_getLogs", [
          { address: s.registry, topics: [approved], fromBlock: "0x0" },
        ])) as { topics: string[] }[];
        const oneTime = dataSlice(logs[logs.length - 1].topics[2], 12);
        expect(await nonceOf(url, oneTime), `${as} sent one transaction`).to.equal(1);
      };
      await approve("custodian-bank", "cli");
      expect(b!.methods).to.include("eth_sendRawTransaction");
      await eventually(
        "the watcher to deliver the bank's OK after the failover",
        csdSees("approved", "custodian-bank"),
      );
      await bankLooks();
      await approve("securities-firm", "task");
      await eventually("the CSD's turn", csdSees("my-turn", id));

      // The watcher stops (SIGTERM by PID); the CSD decides while nobody watches.
      await watcher.stop();
      const firstRun = notices(watcher.stdout());
      expect(watcher.stderr()).to.not.match(/error/i);
      await s.ok(
        "ticket:reject",
        { as: "csd", id, reason: "LACK", note: "short of stock" },
        "task",
      );
      await bankLooks();

      // Restarted, it delivers what it missed, and only that; a further look finds nothing.
      const restarted = startCli(
        "ticket:watch",
        { as: "csd", json: true, once: true, dataDir: s.dataDir, registry: s.registry },
        s.env,
      );
      expect(await restarted.exited, restarted.stderr()).to.equal(0);
      const secondRun = notices(restarted.stdout());
      expect(secondRun.map((n) => n.kind)).to.deep.equal(["returned"]);
      const again = await s.ok("ticket:watch", { as: "csd", once: true, json: true }, "task");
      expect(notices(again.result.stdout)).to.deep.equal([]);

      const csdAll = [...firstRun, ...secondRun];
      expect(new Set(csdAll.map(signature)).size).to.equal(csdAll.length);
      expect(csdAll.map((n) => n.kind)).to.deep.equal([
        "created",
        "approved",
        "approved",
        "my-turn",
        "returned",
      ]);
      expect(csdAll.every((n) => n.id === id)).to.equal(true);

      // The bank, looking three times, saw each event once, in chain order.
      expect(new Set(bankSaw.map(signature)).size).to.equal(bankSaw.length);
      expect(bankSaw.map((n) => n.kind)).to.deep.equal([
        "created",
        "my-turn",
        "approved",
        "approved",
        "returned",
      ]);

      // On chain: one approval each, then the return; nothing doubled.
      const view = json<{ status: string; history: Array<{ kind: string; byName?: string }> }>(
        await s.run("ticket:show", { as: "asset-manager", id, json: true }, "task"),
      );
      expect(view.status).to.equal("returned");
      expect(view.history.map((h) => `${h.kind}:${h.byName ?? ""}`)).to.deep.equal([
        "created:asset-manager",
        "approved:custodian-bank",
        "approved:securities-firm",
        "returned:csd",
      ]);
    });
  });
}
