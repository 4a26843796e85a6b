import { appTask } from "../lib/cli/task.js";
import type { CommonArgs } from "../lib/cli/task-args.js";

export default appTask(async (args: CommonArgs, open) => {
  const { app, out } = await open();
  const parties = await app.registry.listParties();
  out.heading(`Parties of the registry ${app.registry.address} on ${app.networkName}`);
  out.table(
    ["#", "name", "address", "key version", "state"],
    parties.map((p) => [
      String(p.index),
      p.name,
      p.address,
      p.keyVersion === 0 ? "none" : String(p.keyVersion),
      p.suspended ? "suspended" : "active",
    ]),
  );
  out.result(parties);
  return parties;
});
