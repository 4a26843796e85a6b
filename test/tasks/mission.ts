/**
 * The mission scenario through the role tasks, on any chain the caller brings up: deploy, admit
 * and register the five parties, share the trade, read it on one's own node, approve, return
 * with a reason, keep the outsider out, amend, approve again, complete.
 */
import { randomBytes } from "node:crypto";
import { readFile, rm } from "node:fs/promises";
import path from "node:path";

import { expect } from "chai";

import { closeApps } from "../../lib/cli/task-args.js";
import {
  EXAMPLE,
  ROOT,
  ROUTE,
  PARTIES,
  Session,
  json,
  notices,
  privnetEnv,
  removeDir,
  show,
  tempDir,
  ticketFile,
  type PartyName,
  type Via,
} from "./cli.js";

interface View {
  id: string;
  status: string;
  version: number;
  trade: Record<string, unknown>;
  originator: { name: string };
  route: Array<{ step: number; party: { name: string }; state: string }>;
  waitingFor?: { name: string };
  history: Array<{
    kind: string;
    version: number;
    byName?: string;
    qualifier?: string;
    reason?: string;
    meaning?: string;
    note?: string;
  }>;
  verified: boolean;
  myRole: string;
}

const NOTE = "CSD record says settlement on 2024-05-16";

/** The node(s) a run of the mission talks to, and the extra `privnet` settings they need. */
export interface MissionChain {
  /** Every endpoint of the chain, in order of preference. */
  readonly urls: readonly string[];
  /** Further configuration variables (e.g. SR_PRIVNET_CONFIRMATIONS). */
  readonly env?: Readonly<Record<string, string>>;
  stop(): Promise<void>;
}

/**
 * The steps a user takes, on the chain `start` brings up. `cli` lists the steps that run as real
 * subprocesses; the others run the same task in this process.
 */
export function mission(
  label: string,
  start: () => Promise<MissionChain>,
  cli: ReadonlySet<string>,
  timeoutMs = 180_000,
) {
  describe(label, function () {
    this.timeout(timeoutMs);
    let chain: MissionChain | undefined;
    let dataDir: string | undefined;
    let deploymentId: string | undefined;
    let s: Session;

    const via = (step: string): Via => (cli.has(step) ? "cli" : "task");

    before(async function () {
      chain = await start();
      dataDir = await tempDir("scenario");
      deploymentId = `test-tasks-${randomBytes(4).toString("hex")}`;
      const env = { ...privnetEnv(chain.urls), ...chain.env };
      const deployed = await new Session(env, dataDir, "").ok<{ address: string }>(
        "registry:deploy",
        { deploymentId, json: true },
        via("deploy"),
      );
      s = new Session(env, dataDir, deployed.value.address);
      await s.setUpParties("task");
    });

    after(async function () {
      await closeApps();
      await chain?.stop();
      if (deploymentId !== undefined)
        await rm(path.join(ROOT, "ignition", "deployments", deploymentId), {
          recursive: true,
          force: true,
        });
      await removeDir(dataDir);
    });

    it("acts out every step of the mission through the tasks", async function () {
      const show_ = async (as: PartyName, id: string, step: string) =>
        (await s.ok<View>("ticket:show", { as, id, json: true }, via(step))).value;
      const watchOnce = async (as: PartyName, step: string) =>
        notices(
          (await s.ok("ticket:watch", { as, once: true, json: true }, via(step))).result.stdout,
        );

      // 0. The directory: five parties, each with a key.
      const parties = (
        await s.ok<Array<{ name: string; keyVersion: number }>>(
          "party:list",
          { json: true },
          "task",
        )
      ).value;
      expect(parties.map((p) => p.name)).to.deep.equal(Object.keys(PARTIES));
      expect(parties.every((p) => p.keyVersion === 1)).to.equal(true);

      // 1. Share the trade: the asset manager registers the ticket and its route.
      const created = (
        await s.ok<{ id: string; notified: Array<{ name: string }>; alreadyRegistered: boolean }>(
          "ticket:create",
          { as: "asset-manager", file: EXAMPLE, route: ROUTE, json: true },
          via("create"),
        )
      ).value;
      const id = created.id;
      expect(id).to.match(/^T-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
      expect(created.alreadyRegistered).to.equal(false);
      expect(created.notified.map((p) => p.name).join(",")).to.equal(ROUTE);

      // Every party on the route is notified of the ticket ID; the first one that it is its turn.
      for (const party of ["custodian-bank", "securities-firm", "csd"] as const) {
        const seen = await watchOnce(party, `watch-created-${party}`);
        const kinds = seen.filter((n) => n.id === id).map((n) => n.kind);
        expect(kinds, `${party} notifications`).to.deep.equal(
          party === "custodian-bank" ? ["created", "my-turn"] : ["created"],
        );
        expect(seen.find((n) => n.kind === "created")!.text).to.include("you are on its route");
      }
      expect(await watchOnce("outsider", "watch-outsider")).to.deep.equal([]);

      // 2. See it on your own ledger: the CSD enters the ticket ID.
      const original = JSON.parse(await readFile(EXAMPLE, "utf8"));
      const csdView = await show_("csd", id, "show-csd");
      expect(csdView.trade).to.deep.equal(original);
      expect(csdView.verified).to.equal(true);
      expect(csdView.myRole).to.equal("route");
      expect(csdView.originator.name).to.equal("asset-manager");
      expect(csdView.route.map((r) => `${r.party.name}:${r.state}`)).to.deep.equal([
        "custodian-bank:waiting",
        "securities-firm:pending",
        "csd:pending",
      ]);

      // 3. Share approval status: the bank, then the securities firm, press OK.
      const bankOk = await s.ok<{ status: string; next: { name: string } }>(
        "ticket:approve",
        { as: "custodian-bank", id, json: true },
        via("approve-1"),
      );
      expect(bankOk.value.next.name).to.equal("securities-firm");
      const firmOk = await s.ok<{ status: string; next: { name: string } }>(
        "ticket:approve",
        { as: "securities-firm", id, json: true },
        via("approve-2"),
      );
      expect(firmOk.value.next.name).to.equal("csd");
      const csdTurn = await watchOnce("csd", "watch-turn");
      expect(csdTurn.map((n) => `${n.kind}:${n.text}`)).to.deep.equal([
        `approved:${id} v1 approved by custodian-bank (step 1)`,
        `approved:${id} v1 approved by securities-firm (step 2)`,
        `my-turn:${id} waits for your approval`,
      ]);

      // 4. Reject with a reason: the CSD returns the ticket (NG) with a reason code and a note.
      const ng = await s.ok<{ status: string; reason: { qualifier: string; code: string } }>(
        "ticket:reject",
        { as: "csd", id, reason: "NMAT/DDAT", note: NOTE, json: true },
        via("reject"),
      );
      expect(ng.value.status).to.equal("returned");
      expect(ng.value.reason).to.include({ qualifier: "NMAT", code: "DDAT" });

      // Everybody sees the return, by whom and why: the securities firm included.
      for (const party of ["securities-firm", "asset-manager", "custodian-bank", "csd"] as const) {
        const view = await show_(party, id, `show-returned-${party}`);
        expect(view.status, party).to.equal("returned");
        const ret = view.history.find((h) => h.kind === "returned")!;
        expect(ret, party).to.include({
          byName: "csd",
          qualifier: "NMAT",
          reason: "DDAT",
          meaning: "settlement date differs",
          note: NOTE,
        });
        expect(
          view.route.map((r) => r.state),
          party,
        ).to.deep.equal(["approved", "approved", "returned"]);
      }
      const firmSees = await watchOnce("securities-firm", "watch-returned");
      // In chain order: the bank's OK made it the firm's turn; then its own OK; then the return.
      expect(firmSees.map((n) => n.kind)).to.deep.equal([
        "approved",
        "my-turn",
        "approved",
        "returned",
      ]);
      expect(firmSees[3].text).to.equal(
        `${id} v1 returned by csd: NMAT/DDAT settlement date differs`,
      );

      // 5. Confidentiality: the outsider learns that it is not a party, and nothing else.
      const outsider = await s.run("ticket:show", { as: "outsider", id }, via("outsider"));
      expect(outsider.code, show(outsider)).to.not.equal(0);
      expect(outsider.stderr).to.equal("error: not a party to this ticket\n");
      expect(outsider.stdout).to.equal("");
      const outsiderJson = await s.run(
        "ticket:show",
        { as: "outsider", id, json: true },
        via("outsider-json"),
      );
      expect(outsiderJson.stderr).to.equal("error: not a party to this ticket\n");
      expect(outsiderJson.stdout).to.equal("");
      expect(await watchOnce("outsider", "watch-outsider")).to.deep.equal([]);

      // The return path: the asset manager amends; the route approves again; the ticket completes.
      const corrected = await ticketFile(dataDir!, "corrected.json", {
        settlementDate: "2024-05-16",
      });
      const amended = await s.ok<{ version: number; status: string; next: { name: string } }>(
        "ticket:amend",
        { as: "asset-manager", id, file: corrected, json: true },
        via("amend"),
      );
      expect(amended.value).to.include({ version: 2, status: "open" });
      expect(amended.value.next.name).to.equal("custodian-bank");
      for (const [i, party] of (["custodian-bank", "securities-firm", "csd"] as const).entries()) {
        const ok = await s.ok<{ status: string; version: number }>(
          "ticket:approve",
          { as: party, id, json: true },
          via(`re-approve-${i + 1}`),
        );
        expect(ok.value.version).to.equal(2);
        expect(ok.value.status).to.equal(i === 2 ? "completed" : "open");
      }

      const final = await show_("asset-manager", id, "show-final");
      expect(final.status).to.equal("completed");
      expect(final.version).to.equal(2);
      expect(final.trade.settlementDate).to.equal("2024-05-16");
      expect(final.route.map((r) => r.state)).to.deep.equal(["approved", "approved", "approved"]);
      expect(final.history.map((h) => `${h.kind}:${h.version}`)).to.deep.equal([
        "created:1",
        "approved:1",
        "approved:1",
        "returned:1",
        "revised:2",
        "approved:2",
        "approved:2",
        "approved:2",
        "completed:2",
      ]);
      const amSees = await watchOnce("asset-manager", "watch-final");
      expect(amSees.map((n) => n.kind)).to.deep.equal([
        "created",
        "approved",
        "approved",
        "returned",
        "revised",
        "approved",
        "approved",
        "approved",
        "completed",
      ]);
      // Delivered once: a second look finds nothing new.
      expect(await watchOnce("asset-manager", "watch-again")).to.deep.equal([]);

      // The inbox of the CSD: the completed ticket, waiting for nobody.
      const inbox = json<Array<{ id: string; status: string; role: string }>>(
        await s.run("ticket:list", { as: "csd", state: "completed", json: true }, "task"),
      );
      expect(inbox.map((r) => `${r.id}:${r.status}:${r.role}`)).to.deep.equal([
        `${id}:completed:approver`,
      ]);
    });
  });
}
