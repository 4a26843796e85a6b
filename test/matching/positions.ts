import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { expect } from "chai";

import { InputError } from "../../lib/errors.js";
import { checkBalances } from "../../lib/matching/balance.js";
import { PositionError } from "../../lib/matching/errors.js";
import {
  parsePositions,
  readPositionFile,
  type PositionSource,
} from "../../lib/matching/positions.js";
import { EXAMPLES, positions, scenario, varied, type Scenario } from "./fixtures.js";

describe("positions and the balance check", function () {
  let s: Scenario;
  let dir: string;
  before(async function () {
    s = await scenario();
    dir = await mkdtemp(join(tmpdir(), "sr-positions-"));
  });
  after(async function () {
    await rm(dir, { recursive: true, force: true });
  });

  it("reads the example position files", async function () {
    const custodian = await readPositionFile(`${EXAMPLES}positions/custodian-bank.json`);
    expect(await custodian.asOf()).to.equal("2024-05-14");
    expect(await custodian.cash("JPY")).to.equal("5000000");
    expect(await custodian.cash("EUR")).to.equal("0");
    const firm = await readPositionFile(`${EXAMPLES}positions/securities-firm.json`);
    expect(await firm.securities("JP3633400001", "NMR-0001234")).to.equal("1500");
    expect(await firm.securities("JP3633400001", "OTHER")).to.equal("0");
  });

  describe("a bad position file is one clear error naming the entry", function () {
    const bad: [string, unknown, RegExp][] = [
      ["a negative balance", { cash: { JPY: "-5" } }, /cash\.JPY: "-5" is negative/],
      ["a malformed balance", { cash: { JPY: "12a" } }, /cash\.JPY: "12a" is not a decimal amount/],
      [
        "a number instead of a string",
        { cash: { JPY: 5 } },
        /cash\.JPY: must be a decimal string such as "1000", not the number 5/,
      ],
      [
        "more decimals than the currency",
        { cash: { JPY: "1.5" } },
        /cash\.JPY: "1.5" has more decimals than JPY allows \(0\)/,
      ],
      [
        "an unknown currency",
        { cash: { XYZ: "1" } },
        /cash\.XYZ: "XYZ" is not an ISO 4217 currency code/,
      ],
      [
        "a negative quantity",
        { securities: { A1: { JP3633400001: "-1" } } },
        /securities\.A1\.JP3633400001: "-1" is negative/,
      ],
      [
        "a bad ISIN",
        { securities: { A1: { JP3633400000: "1" } } },
        /securities\.A1\.JP3633400000: "JP3633400000" fails its check digit/,
      ],
      ["an unknown member", { cash: {}, extra: 1 }, /extra: is not a known field/],
      ["a missing date", { asOf: undefined }, /asOf: is required/],
    ];
    for (const [what, data, message] of bad) {
      it(what, function () {
        const json = { format: "sr-positions/1", asOf: "2024-05-14", ...(data as object) };
        expect(() => parsePositions(json, "p.json")).to.throw(PositionError, message);
      });
    }

    it("another format", function () {
      expect(() => parsePositions({ format: "x", asOf: "2024-05-14" }, "p.json")).to.throw(
        PositionError,
        /format: must be "sr-positions\/1"/,
      );
    });

    it("a missing file, bad JSON", async function () {
      await expectReject(readPositionFile(join(dir, "none.json")), /none\.json: no such file/);
      await writeFile(join(dir, "bad.json"), '{"format": ');
      await expectReject(
        readPositionFile(join(dir, "bad.json")),
        /bad\.json: not valid JSON at line 1/,
      );
    });
  });

  it("custodian: cash for the settlement amount, enough", async function () {
    const report = await checkBalances(
      s.custodian,
      await readPositionFile(`${EXAMPLES}positions/custodian-bank.json`),
    );
    expect(report.sufficient).to.equal(true);
    expect(report.lines).to.deep.equal([
      { kind: "cash", what: "JPY", required: "3405000", available: "5000000", sufficient: true },
    ]);
  });

  it("custodian short of cash before the settlement date: PEND/MONY", async function () {
    const report = await checkBalances(s.custodian, positions({ cash: { JPY: "3000000" } }));
    expect(report.sufficient).to.equal(false);
    expect(report.lines[0].reason).to.deep.equal({
      qualifier: "PEND",
      code: "MONY",
      meaning: "not enough money",
    });
  });

  it("short after the settlement date: PENF/MONY", async function () {
    const report = await checkBalances(
      s.custodian,
      positions({ asOf: "2024-05-16", cash: { JPY: "0" } }),
    );
    expect(report.lines[0].reason?.qualifier).to.equal("PENF");
  });

  it("securities firm: securities for the quantity in its account; short is PEND/LACK", async function () {
    const enough = await checkBalances(
      s.securitiesFirm,
      await readPositionFile(`${EXAMPLES}positions/securities-firm.json`),
    );
    expect(enough.sufficient).to.equal(true);
    expect(enough.lines[0]).to.include({
      kind: "securities",
      what: "JP3633400001 in NMR-0001234",
      required: "1000",
    });
    const short = await checkBalances(
      s.securitiesFirm,
      positions({ securities: { "NMR-0001234": { JP3633400001: "999" } } }),
    );
    expect(short.lines[0].reason).to.deep.equal({
      qualifier: "PEND",
      code: "LACK",
      meaning: "not enough securities",
    });
  });

  it("a free receipt needs nothing", async function () {
    const free = varied(s.custodian, { payment: "FREE", settlementAmount: undefined });
    expect((await checkBalances(free, positions({}))).lines).to.deep.equal([]);
  });

  it("refuses a malformed balance from a ledger implementation", async function () {
    const ledger: PositionSource = {
      name: "core-ledger",
      asOf: async () => "2024-05-14",
      cash: async () => "-1",
      securities: async () => "0",
    };
    await expectReject(
      checkBalances(s.custodian, ledger),
      /core-ledger: cash\.JPY: "-1" is negative/,
    );
  });
});

async function expectReject(promise: Promise<unknown>, message: RegExp): Promise<void> {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(InputError);
    expect((error as Error).message).to.match(message);
    return;
  }
  expect.fail("expected a PositionError");
}
