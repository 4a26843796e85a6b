import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { adminSigner } from "../lib/app/context.js";
import { admitParty } from "../lib/app/parties.js";
import { runTask } from "../lib/cli/output.js";
import { appFor, required, type CommonArgs } from "../lib/cli/task-args.js";

interface Args extends CommonArgs {
  address: string;
  name: string;
}

export default async function (args: Args, hre: HardhatRuntimeEnvironment) {
  return runTask(async () => {
    const address = required(args.address, "address", "0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
    const name = required(args.name, "name", "custodian-bank");
    const app = await appFor(hre, args);
    const admin = await adminSigner(app, args.as);
    const result = await admitParty(app, admin, address, name);
    app.out.ok(
      `admitted ${result.party.name} (${result.party.address}) as party #${result.party.index}`,
    );
    app.out.line(
      `  it must now register its encryption key: npx hardhat party:register-key --as ${name}`,
    );
    app.out.result(result);
    return result;
  });
}
