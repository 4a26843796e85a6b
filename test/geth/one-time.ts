/**
 * Decisions from one-time route addresses on geth --dev of the current release, which takes no
 * zero-price transaction: refused in one line, nothing sent, unless the network is told to pay
 * them (`SR_PRIVNET_FUND_ONE_TIME=1`); then the party's own address pays its one-time address
 * just before the decision, in a transfer anyone can see (docs/private-chain.md, section 7).
 */
import { expect } from "chai";

import { closeApps } from "../../lib/cli/task-args.js";
import {
  createdRoutes,
  gethUnavailable,
  startGethChain,
  type GethChain,
} from "../../lib/testing/geth.js";
import {
  EXAMPLE,
  PARTIES,
  ROUTE,
  Session,
  json,
  nonceOf,
  privnetEnv,
  removeDir,
  tempDir,
} from "../tasks/cli.js";

const unavailable = gethUnavailable();

(unavailable === undefined ? describe : describe.skip)(
  `one-time addresses on geth --dev, which charges gas${unavailable === undefined ? "" : ` (skipped: ${unavailable})`}`,
  function () {
    this.timeout(300_000);
    let chain: GethChain | undefined;
    let work: string | undefined;

    before(async function () {
      chain = await startGethChain("dev");
      work = await tempDir("one-time");
    });

    after(async function () {
      await closeApps();
      await chain?.stop();
      await removeDir(work);
    });

    it("refuses an unpaid decision in one line, and pays it from the party when told to", async function () {
      const c = chain!;
      const { SR_PRIVNET_FUND_ONE_TIME: _, ...unfunded } = c.env;
      const s = new Session({ ...privnetEnv(c.urls), ...unfunded }, work!, c.registry);
      await s.setUpParties("task");
      const { id } = json<{ id: string }>(
        await s.run(
          "ticket:create",
          { as: "asset-manager", file: EXAMPLE, route: ROUTE, json: true },
          "task",
        ),
      );
      const url = c.urls[0];
      const bank = PARTIES["custodian-bank"].address;
      const [[oneTime]] = await createdRoutes(url, c.registry);
      const bankNonce = await nonceOf(url, bank);

      const refused = await s.run("ticket:approve", { as: "custodian-bank", id }, "task");
      expect(refused.code).to.not.equal(0);
      expect(refused.stderr).to.match(
        /^error: this chain charges gas, and a one-time address holds none\b/,
      );
      expect(refused.stdout).to.equal("");
      expect(await nonceOf(url, bank), "the bank sent nothing").to.equal(bankNonce);
      expect(await nonceOf(url, oneTime), "the one-time address sent nothing").to.equal(0);

      // The same party, its network now told to pay (a real CLI process reads the variable).
      const paid = new Session({ ...s.env, SR_PRIVNET_FUND_ONE_TIME: "1" }, work!, c.registry);
      const ok = await paid.ok<{ status: string }>(
        "ticket:approve",
        { as: "custodian-bank", id, json: true },
        "cli",
      );
      expect(ok.value.status).to.equal("open");
      // One transfer from the bank to its one-time address (public), one approval from the latter.
      expect(await nonceOf(url, bank), "the bank paid once").to.equal(bankNonce + 1);
      expect(await nonceOf(url, oneTime), "the one-time address approved once").to.equal(1);
    });
  },
);
