/** The admin's membership tasks: a suspended party cannot act until it is restored. */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { expect } from "chai";
import hre from "hardhat";

import type { CreateResult } from "../../lib/app/create.js";
import { taskMode } from "../../lib/cli/output.js";
import { ContractError, PartyError } from "../../lib/errors.js";
import { quiet } from "../helpers/quiet.js";

describe("party:suspend and party:restore", function () {
  this.timeout(60_000);
  let dataDir: string;
  let previousRethrow: boolean;
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
    for (const [i, name] of ["asset-manager", "custodian-bank"].entries()) {
      await run("party:admit", { address: accounts[i + 1].address, name });
      await run("party:register-key", { as: name });
    }
  });

  after(async function () {
    taskMode.rethrow = previousRethrow;
    await rm(dataDir, { recursive: true, force: true });
  });

  it("stops a suspended approver with one line, and lets it act again once restored", async function () {
    const file = join(hre.config.paths.root, "examples", "dvp-japanese-equity-buy.json");
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
    expect(refused).to.be.instanceOf(ContractError);
    expect((refused as ContractError).oneLine()).to.match(
      /^custodian-bank \(0x[0-9a-fA-F]{40}\) is suspended — /,
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

  it("names the option holding an unknown party", async function () {
    const refused = await run("party:suspend", { party: "nobody" }).catch((e: unknown) => e);
    expect(refused).to.be.instanceOf(PartyError);
    expect((refused as PartyError).oneLine()).to.match(/unknown party "nobody"/);
  });
});
