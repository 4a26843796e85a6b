import { adminSigner } from "../lib/app/context.js";
import { admitParty } from "../lib/app/parties.js";
import { appTask } from "../lib/cli/task.js";
import { required, type CommonArgs } from "../lib/cli/task-args.js";

interface Args extends CommonArgs {
  address: string;
  name: string;
}

export default appTask(async (args: Args, open) => {
  const address = required(args.address, "address", "0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
  const name = required(args.name, "name", "custodian-bank");
  const { app, out } = await open();
  const admin = await adminSigner(app, args.as);
  const result = await admitParty(app, admin, address, name);
  out.ok(`admitted ${result.party.name} (${result.party.address}) as party #${result.party.index}`);
  out.line(
    `  it must now register its encryption key: npx hardhat party:register-key --as ${name}`,
  );
  out.result(result);
  return result;
});
