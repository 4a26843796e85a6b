import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { actAs } from "../lib/app/context.js";
import { runTask } from "../lib/cli/output.js";
import { appFor, type CommonArgs } from "../lib/cli/task-args.js";

export default async function (args: CommonArgs, hre: HardhatRuntimeEnvironment) {
  return runTask(async () => {
    const app = await appFor(hre, args);
    const actor = await actAs(app, args.as);
    const report = (await app.delivery?.flush(actor.party.address)) ?? {
      outcomes: [],
      unpublished: [],
    };
    const delivered = report.outcomes.filter((o) => o.state === "delivered");
    await Promise.all(report.outcomes.map((o) => app.registry.party(o.recipient)));
    app.out.ok(`${delivered.length} of ${report.outcomes.length} pending set(s) delivered`);
    for (const o of report.outcomes.filter((x) => x.state !== "delivered")) {
      app.out.warn(
        `${o.kind} v${o.version} for ${app.registry.label(o.recipient)} still waits: ${o.error}`,
      );
    }
    app.out.result(report.outcomes);
    return report;
  });
}
