/**
 * The checked approval from the command line: `ticket:check` against the parties' own
 * instructions and positions in `examples/`, the check result kept for `--checked`
 * (`loadCheckedResult`), `ticket:export --format sese.024`, `ticket:create --file x.xml`, and
 * every bad input as one line, a non-zero exit and nothing sent or written.
 */
import { readFile, stat, writeFile } from "node:fs/promises";
import path from "node:path";

import { expect } from "chai";
import { JsonRpcProvider, Wallet } from "ethers";

import { actAs, createApp, type App } from "../../lib/app/context.js";
import { loadCheckedResult } from "../../lib/app/check.js";
import type { TicketView } from "../../lib/app/tickets.js";
import { closeApps } from "../../lib/cli/task-args.js";
import { parseSese023 } from "../../lib/iso20022/sese023.js";
import { buildSese024, parseSese024 } from "../../lib/iso20022/sese024.js";
import { CheckResultError } from "../../lib/matching/errors.js";
import { checkResultJson, type CheckResult } from "../../lib/matching/check.js";
import { DEV_ACCOUNTS, startPrivateChain, type PrivateChain } from "../../lib/testing/anvil.js";
import {
  EXAMPLE,
  PARTIES,
  ROOT,
  ROUTE,
  Session,
  json,
  nonceOf,
  privnetEnv,
  removeDir,
  show,
  tempDir,
  writeAheadState,
  type RunResult,
  type TaskOptions,
} from "./cli.js";

const ex = (file: string) => path.join(ROOT, "examples", file);
const SESE023 = ex("dvp-japanese-equity-buy.sese023.xml");
const OWN = {
  "custodian-bank": {
    instruction: ex("instructions/custodian-bank.json"),
    positions: ex("positions/custodian-bank.json"),
  },
  "securities-firm": {
    instruction: ex("instructions/securities-firm.sese023.xml"),
    positions: ex("positions/securities-firm.json"),
  },
  csd: { instruction: ex("instructions/csd.json") },
};

/** The one error line of a failed run (asserting there is exactly one, and no stdout). */
function oneLine(run: RunResult): string {
  expect(run.code, show(run)).to.not.equal(0);
  const lines = run.stderr.split("\n").filter((l) => l !== "");
  expect(lines, show(run)).to.have.length(1);
  expect(run.stdout, show(run)).to.equal("");
  return lines[0].replace(/^error: /, "");
}

describe("tasks: ticket:check, ticket:export and sese.023 in", function () {
  this.timeout(180_000);
  let chain: PrivateChain | undefined;
  let work: string | undefined;
  let s: Session;
  let app: App;
  let provider: JsonRpcProvider | undefined;
  let ticket: string; // open, waiting for custodian-bank
  let other: string; // another open ticket

  const create = async (file = EXAMPLE) =>
    json<{ id: string }>(
      await s.run("ticket:create", { as: "asset-manager", file, route: ROUTE, json: true }, "task"),
    ).id;
  const check = (as: keyof typeof OWN, options: TaskOptions, via: "cli" | "task" = "task") =>
    s.run("ticket:check", { as, id: ticket, ...OWN[as], ...options }, via);

  before(async function () {
    chain = await startPrivateChain();
    work = await tempDir("check");
    s = new Session(privnetEnv([chain.node.url]), path.join(work, "data"), chain.registry);
    await s.setUpParties("task");
    ticket = await create();
    other = await create();
    // The same App the tasks build, as a plain library (for loadCheckedResult).
    provider = new JsonRpcProvider(chain.node.url, 1337, { staticNetwork: true });
    app = await createApp({
      provider,
      signers: DEV_ACCOUNTS.slice(0, 6).map((a) => new Wallet(a.privateKey, provider)),
      config: { registry: chain.registry, dataDir: s.dataDir, networkName: "privnet" },
    });
  });

  after(async function () {
    await closeApps();
    provider?.destroy();
    await chain?.stop();
    await removeDir(work);
  });

  describe("ticket:check", function () {
    it("proposes OK for the custodian: same-side instruction matches, cash covers the amount", async function () {
      const { value } = await s.ok<CheckResult>("ticket:check", {
        as: "custodian-bank",
        id: ticket,
        ...OWN["custodian-bank"],
        json: true,
      });
      expect(value.proposal).to.equal("OK");
      expect(value.reasons).to.deep.equal([]);
      expect(value.instruction.side).to.equal("same-side");
      expect(value.binding).to.include({ id: ticket, version: 1 });
      expect(value.balances?.lines[0]).to.include({
        kind: "cash",
        what: "JPY",
        required: "3405000",
        sufficient: true,
      });
    });

    it("shows the match table, the balance lines and the proposal on one screen", async function () {
      const { result } = await s.ok(
        "ticket:check",
        { as: "securities-firm", id: ticket, ...OWN["securities-firm"] },
        "task",
      );
      const text = result.stdout;
      expect(text).to.match(/field\s.*ticket\s.*own\s.*result\s.*ISO code/);
      expect(text).to.match(/settlementDate\s.*2024-05-15\s.*2024-05-15\s.*match\s.*DDAT/);
      expect(text).to.contain("securities JP3633400001 in NMR-0001234: need 1000, hold 1500  OK");
      expect(text).to.contain("Proposed: OK");
    });

    it("proposes NG with NMAT/DDAT for the CSD, whose instruction has another settlement date", async function () {
      const run = await check("csd", {}, "cli");
      expect(run.code, show(run)).to.equal(0);
      expect(run.stdout).to.match(
        /settlementDate\s.*2024-05-15\s.*2024-05-16\s.*MISMATCH\s.*NMAT\/DDAT/,
      );
      expect(run.stdout).to.contain("Proposed: NG with 1 reason(s)");
      expect(run.stdout).to.contain(
        "NMAT/DDAT settlement date differs — settlementDate: ticket 2024-05-15, ours 2024-05-16",
      );
      expect(run.stdout).to.contain("balances: no positions given, not checked");
    });

    it("proposes NG with PEND/MONY when the custodian's cash is short, before the settlement date", async function () {
      const positions = path.join(work!, "short-cash.json");
      await writeFile(
        positions,
        JSON.stringify({ format: "sr-positions/1", asOf: "2024-05-14", cash: { JPY: "1000000" } }),
      );
      const run = await check("custodian-bank", { positions });
      expect(run.code, show(run)).to.equal(0);
      expect(run.stdout).to.contain("cash JPY: need 3405000, hold 1000000  short: PEND/MONY");
      expect(run.stdout).to.contain("Proposed: NG with 1 reason(s)");
      expect(run.stdout).to.match(
        /PEND\/MONY .* — JPY: need 3405000, hold 1000000 \(short 2405000\)/,
      );
    });

    it("writes the canonical result with --out, readable by its owner only", async function () {
      const out = path.join(work!, "custodian.check.json");
      const run = await check("custodian-bank", { out, json: true });
      expect(run.code, show(run)).to.equal(0);
      expect((await stat(out)).mode & 0o777).to.equal(0o600);
      expect(await readFile(out, "utf8")).to.equal(run.stdout);
      expect(run.stdout).to.equal(`${checkResultJson(JSON.parse(run.stdout) as CheckResult)}\n`);
      const loaded = await loadCheckedResult(app, await actAs(app, "custodian-bank"), ticket, out);
      expect(loaded.proposal).to.equal("OK");
    });
  });

  describe("--checked: a check result is decided on only for what it was made for", function () {
    let file: string;
    before(async function () {
      file = path.join(work!, "checked.json");
      const run = await check("custodian-bank", { out: file });
      expect(run.code, show(run)).to.equal(0);
    });

    const refusal = async (as: string, id: string, from = file) => {
      const error = await loadCheckedResult(app, await actAs(app, as), id, from).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).to.be.instanceOf(CheckResultError);
      return (error as CheckResultError).oneLine();
    };

    it("refuses a result from another ticket", async function () {
      expect(await refusal("custodian-bank", other)).to.equal(
        `the check result is for ticket ${ticket}, not ${other} — run the check again on the current version, then decide`,
      );
    });

    it("refuses a result made by another party", async function () {
      expect(await refusal("csd", ticket)).to.match(
        /^the check result was made by custodian-bank, not by csd/,
      );
    });

    it("refuses a changed or missing file in one line", async function () {
      const changed = path.join(work!, "changed.json");
      const result = JSON.parse(await readFile(file, "utf8")) as Record<string, unknown>;
      await writeFile(changed, JSON.stringify({ ...result, proposal: "NG" }));
      expect(await refusal("custodian-bank", ticket, changed)).to.match(
        /changed\.json: proposal NG disagrees with its 0 reasons/,
      );
      expect(await refusal("custodian-bank", ticket, path.join(work!, "none.json"))).to.match(
        /none\.json: no such file/,
      );
    });

    it("refuses a result from an earlier version once the ticket was returned and amended", async function () {
      const id = await create();
      const v1 = path.join(work!, "v1.json");
      const run = await s.run("ticket:check", { as: "csd", id, ...OWN.csd, out: v1 }, "task");
      expect(run.code, show(run)).to.equal(0);
      await s.ok("ticket:approve", { as: "custodian-bank", id }, "task");
      await s.ok("ticket:approve", { as: "securities-firm", id }, "task");
      await s.ok(
        "ticket:reject",
        { as: "csd", id, reason: "NMAT/DDAT", note: "our instruction settles on 2024-05-16" },
        "task",
      );
      await s.ok("ticket:amend", { as: "asset-manager", id, file: EXAMPLE }, "task");
      expect(await refusal("csd", id, v1)).to.equal(
        `the check result is for version 1 of ${id}; the current version is 2 — run the check again on the current version, then decide`,
      );

      // The history as sese.024: v1 NG with the CSD's reason and note, v2 OK once completed.
      for (const as of ["custodian-bank", "securities-firm", "csd"])
        await s.ok("ticket:approve", { as, id }, "task");
      const outFile = path.join(work!, "advice.xml");
      const { value } = await s.ok<{ advices: Array<Record<string, unknown>> }>(
        "ticket:export",
        { as: "custodian-bank", id, format: "sese.024", out: outFile, json: true },
        "task",
      );
      expect(value.advices.map((a) => [a.version, a.status, a.by])).to.deep.equal([
        [1, "NG", "csd"],
        [2, "OK", "csd"],
      ]);
      const v1Advice = parseSese024(await readFile(path.join(work!, "advice.v1.xml"), "utf8"));
      expect(v1Advice).to.include({ senderReference: "AM-20240513-001", ticketId: id });
      expect(v1Advice.status).to.equal("NG");
      expect(v1Advice.reasons.map((r) => [r.qualifier, r.code, r.narrative])).to.deep.equal([
        [
          "NMAT",
          "DDAT",
          "Version 1 returned by csd at step 3: our instruction settles on 2024-05-16",
        ],
      ]);
      const v2Advice = parseSese024(await readFile(path.join(work!, "advice.v2.xml"), "utf8"));
      expect(v2Advice.status).to.equal("OK");
      expect(v2Advice.narrative).to.equal(
        "Version 2 approved by custodian-bank, securities-firm, csd",
      );
    });

    it("prints the advice of each version, and says that an open version has none yet", async function () {
      const { result } = await s.ok(
        "ticket:export",
        { as: "csd", id: ticket, format: "sese.024" },
        "task",
      );
      expect(result.stdout).to.contain(
        "version 1: open, no status advice (the route has not decided yet)",
      );
    });
  });

  describe("ticket:approve and ticket:reject --checked: decide on what was checked", function () {
    let id: string; // open, waiting for custodian-bank
    const files: Record<string, string> = {};
    const ascii = (text: string) => Buffer.from(text).toString("hex");

    before(async function () {
      id = await create();
      for (const as of ["custodian-bank", "csd"] as const) {
        files[as] = path.join(work!, `decide-${as}.json`);
        const run = await check(as, { id, out: files[as] });
        expect(run.code, show(run)).to.equal(0);
      }
      const bank = JSON.parse(await readFile(files["custodian-bank"], "utf8")) as CheckResult;
      files.changed = path.join(work!, "decide-changed.json");
      await writeFile(
        files.changed,
        JSON.stringify({
          ...bank,
          binding: { ...bank.binding, tradeCommitment: `0x${"ab".repeat(32)}` },
        }),
      );
      // The same party's check of version 1 of a ticket that was amended since.
      files.amendedId = await create();
      files.stale = path.join(work!, "decide-stale.json");
      const run = await check("custodian-bank", { id: files.amendedId, out: files.stale });
      expect(run.code, show(run)).to.equal(0);
      await s.ok(
        "ticket:amend",
        { as: "asset-manager", id: files.amendedId, file: EXAMPLE },
        "task",
      );
    });

    describe("refused in one line, with nothing sent or written", function () {
      let block: number;
      let state: Record<string, string>;
      before(async function () {
        block = await provider!.getBlockNumber();
        state = await writeAheadState(s.dataDir);
      });
      after(async function () {
        // Approvals are sent from one-time addresses: no new block means nothing was sent.
        expect(await provider!.getBlockNumber()).to.equal(block);
        expect(await writeAheadState(s.dataDir)).to.deep.equal(state);
      });

      const cases: Array<[string, string, () => TaskOptions, () => string | RegExp]> = [
        [
          "a result from another ticket",
          "ticket:approve",
          () => ({ as: "custodian-bank", id: other, checked: files["custodian-bank"] }),
          () =>
            `the check result is for ticket ${id}, not ${other} — run the check again on the current version, then decide`,
        ],
        [
          "a result from an earlier version",
          "ticket:approve",
          () => ({ as: "custodian-bank", id: files.amendedId, checked: files.stale }),
          () =>
            `the check result is for version 1 of ${files.amendedId}; the current version is 2 — run the check again on the current version, then decide`,
        ],
        [
          "a result made by another party",
          "ticket:reject",
          () => ({ as: "securities-firm", id, checked: files.csd }),
          () => /^the check result was made by csd, not by securities-firm/,
        ],
        [
          "a changed result",
          "ticket:approve",
          () => ({ as: "custodian-bank", id, checked: files.changed }),
          () => /^the check result was made for another trade than version 1 of /,
        ],
        [
          "an approval over an NG proposal",
          "ticket:approve",
          () => ({ as: "csd", id, checked: files.csd }),
          () =>
            "the check proposes NG (NMAT/DDAT) — reject with --checked, or approve without --checked to decide by hand",
        ],
        [
          "a return of an OK proposal without --reason",
          "ticket:reject",
          () => ({ as: "custodian-bank", id, checked: files["custodian-bank"] }),
          () =>
            "the check proposes OK: there is no reason to return the ticket — approve with --checked, or give --reason to return it anyway",
        ],
        [
          "an approval over an NG proposal checked in place",
          "ticket:approve",
          () => ({ as: "csd", id, ...OWN.csd, json: true }),
          () => /^the check proposes NG \(NMAT\/DDAT\)/,
        ],
        [
          "--checked with --instruction",
          "ticket:approve",
          () => ({ as: "custodian-bank", id, checked: files.csd, ...OWN["custodian-bank"] }),
          () => /^give --checked or --instruction, not both/,
        ],
        [
          "--positions without --instruction",
          "ticket:reject",
          () => ({ as: "custodian-bank", id, positions: OWN["custodian-bank"].positions }),
          () => /^--positions needs --instruction/,
        ],
      ];
      for (const [title, task, options, expected] of cases) {
        it(`${task} refuses ${title}`, async function () {
          const message = oneLine(await s.run(task, options(), "task"));
          const want = expected();
          if (typeof want === "string") expect(message).to.equal(want);
          else expect(message).to.match(want);
        });
      }

      it("a real CLI process prints the same one line for a result from another ticket", async function () {
        const message = oneLine(
          await s.run(
            "ticket:approve",
            { as: "custodian-bank", id: other, checked: files["custodian-bank"] },
            "cli",
          ),
        );
        expect(message).to.match(/^the check result is for ticket /);
      });
    });

    describe("decided on the check", function () {
      it("returns an OK proposal only with --reason, and with those reasons", async function () {
        const fresh = await create();
        const file = path.join(work!, "decide-fresh.json");
        const run = await check("custodian-bank", { id: fresh, out: file });
        expect(run.code, show(run)).to.equal(0);
        const { value } = await s.ok<{ version: number; reasons: Array<Record<string, string>> }>(
          "ticket:reject",
          { as: "custodian-bank", id: fresh, checked: file, reason: "PEND/MONY", json: true },
          "task",
        );
        expect(value.version).to.equal(1);
        expect(value.reasons.map((r) => `${r.qualifier}/${r.code}`)).to.deep.equal(["PEND/MONY"]);
      });

      it("approves the checked version, checks in place, and returns with the check's reasons", async function () {
        const { value: bank } = await s.ok<{ version: number }>(
          "ticket:approve",
          { as: "custodian-bank", id, checked: files["custodian-bank"], json: true },
          "task",
        );
        expect(bank.version).to.equal(1);
        await s.ok(
          "ticket:approve",
          { as: "securities-firm", id, ...OWN["securities-firm"], json: true },
          "task",
        );
        const { value: returned } = await s.ok<{ txHash: string; reasons: unknown[] }>(
          "ticket:reject",
          { as: "csd", id, checked: files.csd, json: true },
          "task",
        );
        expect(returned.reasons).to.have.length(1);

        // Visible to the originator and the route in ticket:show: the reasons and the narrative.
        const narrative = "settlementDate: ticket 2024-05-15, ours 2024-05-16";
        for (const as of ["asset-manager", "custodian-bank", "securities-firm", "csd"]) {
          const { value: view } = await s.ok<TicketView>(
            "ticket:show",
            { as, id, json: true },
            "task",
          );
          const ret = view.history.find((h) => h.kind === "returned");
          expect(ret?.kind === "returned" ? ret.reasons : undefined, as).to.deep.equal([
            { qualifier: "NMAT", code: "DDAT", meaning: "settlement date differs" },
          ]);
          expect(ret?.note, as).to.equal(narrative);
        }

        // Absent from the chain: neither the calldata nor the events of the return hold them.
        const tx = await provider!.getTransaction(returned.txHash);
        const receipt = await provider!.getTransactionReceipt(returned.txHash);
        const onChain = [tx!.data, ...receipt!.logs.map((l) => l.data + l.topics.join(""))]
          .join("")
          .toLowerCase();
        for (const needle of ["NMAT", "DDAT", "2024-05-16", narrative]) {
          expect(onChain, needle).to.not.contain(ascii(needle));
        }
      });
    });
  });

  describe("ticket:create --file x.xml", function () {
    it("registers the trade of a sese.023 instruction", async function () {
      const id = await create(SESE023);
      const shown = json<{ trade: unknown }>(
        await s.run("ticket:show", { as: "csd", id, json: true }, "task"),
      );
      expect(shown.trade).to.deep.equal(parseSese023(await readFile(SESE023, "utf8")));
    });
  });

  describe("bad input: one line, a non-zero exit, nothing sent or written", function () {
    const files: Record<string, string> = {};
    let nonces: number[];
    let state: Record<string, string>;

    before(async function () {
      const xml = await readFile(SESE023, "utf8");
      const put = async (name: string, text: string) => {
        files[name] = path.join(work!, name);
        await writeFile(files[name], text);
      };
      await put(
        "sese024.xml",
        buildSese024({ senderReference: "AM-20240513-001", status: "OK", reasons: [] }),
      );
      await put(
        "namespace.xml",
        xml.replace("urn:iso:std:iso:20022:tech:xsd:sese.023.001.09", "urn:example:settlement"),
      );
      await put("truncated.xml", xml.slice(0, Math.floor(xml.length / 2)));
      await put("huge.xml", xml.replace("<TxId>", `<!--${"x".repeat(300 * 1024)}--><TxId>`));
      await put(
        "positions-malformed.json",
        JSON.stringify({
          format: "sr-positions/1",
          asOf: "2024-05-14",
          cash: { JPY: "5,000,000" },
        }),
      );
      nonces = await Promise.all(
        Object.values(PARTIES).map((p) => nonceOf(chain!.node.url, p.address)),
      );
      state = await writeAheadState(s.dataDir);
    });

    after(async function () {
      // Nothing sent: no party's nonce moved; nothing written to the store or the journals.
      const now = await Promise.all(
        Object.values(PARTIES).map((p) => nonceOf(chain!.node.url, p.address)),
      );
      expect(now).to.deep.equal(nonces);
      expect(await writeAheadState(s.dataDir)).to.deep.equal(state);
    });

    const cases: Array<[string, () => TaskOptions, RegExp, string?]> = [
      [
        "an instruction for another trade",
        () => ({ instruction: ex("invalid/other-trade.json") }),
        /^instruction NMR-240520-0107 is for another trade than the ticket \(AM-20240513-001\) \(ISIN JP3435000009 instead of JP3633400001, and the trade date, quantity, settlement amount, common reference differ\)/,
      ],
      [
        "XML that is not sese.023",
        () => ({ instruction: files["sese024.xml"] }),
        /sese024\.xml: is a sese\.024 message, not sese\.023/,
      ],
      [
        "XML in the wrong namespace",
        () => ({ instruction: files["namespace.xml"] }),
        /namespace\.xml: namespace urn:example:settlement is not an ISO 20022 message namespace/,
      ],
      [
        "truncated XML",
        () => ({ instruction: files["truncated.xml"] }),
        /truncated\.xml: truncated: the document ends with .* still open/,
      ],
      [
        "a huge XML file",
        () => ({ instruction: files["huge.xml"] }),
        /huge\.xml: \d+ bytes is more than an instruction may have \(262144\)/,
      ],
      [
        "an amount with more decimals than its currency allows",
        () => ({ instruction: ex("invalid/sese023-jpy-decimals.xml") }),
        /SttlmAmt\/Amt: 3405000\.5 has more decimals than JPY allows \(0\)/,
      ],
      [
        "an unsupported sese.023 element",
        () => ({ instruction: ex("invalid/sese023-unsupported-element.xml") }),
        /unsupported element: the ticket has no field for it/,
      ],
      [
        "a position file with a negative balance",
        () => ({ positions: ex("invalid/positions-negative.json") }),
        /positions-negative\.json: cash\.JPY: "-3405000" is negative/,
      ],
      [
        "a position file with a malformed balance",
        () => ({ positions: files["positions-malformed.json"] }),
        /positions-malformed\.json: cash\.JPY: "5,000,000" is not a decimal amount/,
      ],
      [
        "an unknown side",
        () => ({ side: "buyer" }),
        /^--side: "buyer" is not a side — give counterparty or same-side/,
      ],
    ];

    for (const [title, options, expected] of cases) {
      it(`ticket:check refuses ${title}`, async function () {
        const out = path.join(work!, `refused-${title.replace(/\W+/g, "-")}.json`);
        const message = oneLine(await check("custodian-bank", { ...options(), out }));
        expect(message, message).to.match(expected);
        // Nothing written: no check result.
        expect(await stat(out).catch(() => undefined)).to.equal(undefined);
      });
    }

    it("a real CLI process prints the same one line for an instruction of another trade", async function () {
      const message = oneLine(
        await check("custodian-bank", { instruction: ex("invalid/other-trade.json") }, "cli"),
      );
      expect(message).to.match(/^instruction NMR-240520-0107 is for another trade/);
    });

    it("ticket:create refuses a sese.023 with an unsupported element", async function () {
      const message = oneLine(
        await s.run(
          "ticket:create",
          {
            as: "asset-manager",
            file: ex("invalid/sese023-unsupported-element.xml"),
            route: ROUTE,
          },
          "task",
        ),
      );
      expect(message).to.match(/unsupported element: the ticket has no field for it/);
    });

    it("ticket:export refuses an unknown format", async function () {
      const message = oneLine(
        await s.run("ticket:export", { as: "csd", id: ticket, format: "mt548" }, "task"),
      );
      expect(message).to.equal('--format: "mt548" is not an export format — give sese.024');
    });
  });
});
