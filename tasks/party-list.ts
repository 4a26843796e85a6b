import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { runTask } from "../lib/cli/output.js";
import { appFor, type CommonArgs } from "../lib/cli/task-args.js";

export default async function (args: CommonArgs, hre: HardhatRuntimeEnvironment) {
  return runTask(async () => {
    const app = await appFor(hre, args);
    const parties = await app.registry.listParties();
    app.out.heading(`Parties of the registry ${app.registry.address} on ${app.networkName}`);
    app.out.table(
      ["#", "name", "address", "key version", "state"],
      parties.map((p) => [
        String(p.index),
        p.name,
        p.address,
        p.keyVersion === 0 ? "none" : String(p.keyVersion),
        p.suspended ? "suspended" : "active",
      ]),
    );
    app.out.result(parties);
    return parties;
  });
}
