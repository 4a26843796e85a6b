import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { actAs } from "../lib/app/context.js";
import { PartyError } from "../lib/errors.js";
import { runTask } from "../lib/cli/output.js";
import { appFor, type CommonArgs } from "../lib/cli/task-args.js";
import { checkEndpointUrl } from "../lib/delivery/endpoint.js";
import { recoverStore } from "../lib/delivery/replica.js";

export default async function (
  args: CommonArgs & { from: string },
  hre: HardhatRuntimeEnvironment,
) {
  return runTask(async () => {
    const replicas =
      args.from.trim() === ""
        ? undefined
        : args.from
            .split(",")
            .map((s) => s.trim())
            .filter((s) => s !== "")
            .map(checkEndpointUrl);
    const app = await appFor(hre, args);
    const actor = await actAs(app, args.as);
    if (actor.keys.length === 0) {
      throw new PartyError(`${actor.party.name} has no encryption key yet`, {
        hint: `register it first: npx hardhat party:register-key --as ${actor.party.name}`,
      });
    }
    const report = await recoverStore({
      registry: app.registry,
      store: app.store,
      me: { address: actor.party.address, keys: actor.keys },
      replicas,
    });
    app.out.ok(
      `${report.expected} set(s) on-chain for ${actor.party.name}: ${report.present} already held, ${report.fetched} fetched and verified, ${report.failed.length} missing`,
    );
    for (const f of report.failed) {
      app.out.warn(`${f.kind} v${f.version} of ${f.ticketKey.slice(0, 10)}…: ${f.error}`);
    }
    app.out.result(report);
    if (report.failed.length > 0) process.exitCode = 1;
    return report;
  });
}
