import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { adminSigner } from "../lib/app/context.js";
import { setSuspended } from "../lib/app/parties.js";
import { runTask } from "../lib/cli/output.js";
import { appFor, required, type CommonArgs } from "../lib/cli/task-args.js";

export default async function (
  args: CommonArgs & { party: string },
  hre: HardhatRuntimeEnvironment,
) {
  return runTask(async () => {
    const party = required(args.party, "party", "securities-firm");
    const app = await appFor(hre, args);
    const result = await setSuspended(app, await adminSigner(app, args.as), party, true);
    app.out.ok(`suspended ${app.registry.label(result.party.address)}`);
    app.out.result(result);
    return result;
  });
}
