import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { actAs } from "../lib/app/context.js";
import { registerKey } from "../lib/app/parties.js";
import { runTask } from "../lib/cli/output.js";
import { appFor, type CommonArgs } from "../lib/cli/task-args.js";

export default async function (args: CommonArgs, hre: HardhatRuntimeEnvironment) {
  return runTask(async () => {
    const app = await appFor(hre, args);
    const actor = await actAs(app, args.as);
    const { key, txHash } = await registerKey(app, actor);
    const verb = key.version === 1 ? "registered" : "rotated to";
    app.out.ok(
      `${actor.party.name} ${verb} encryption key version ${key.version}: ${key.publicKey}`,
    );
    if (key.version > 1) {
      app.out.line(
        "  tickets sealed under earlier versions stay readable: the old keys are re-derived",
      );
    }
    const result = {
      party: actor.party.address,
      keyVersion: key.version,
      publicKey: key.publicKey,
      txHash,
    };
    app.out.result(result);
    return result;
  });
}
