import { registerKey } from "../lib/app/parties.js";
import { roleTask } from "../lib/cli/task.js";
import type { CommonArgs } from "../lib/cli/task-args.js";

export default roleTask(async (args: CommonArgs, open) => {
  const { app, out, actor } = await open();
  const { key, txHash } = await registerKey(app, actor);
  const verb = key.version === 1 ? "registered" : "rotated to";
  out.ok(`${actor.party.name} ${verb} key version ${key.version}`);
  out.line(`  viewing/encryption key (x25519): ${key.publicKey}`);
  out.line(`  spending key (secp256k1):        ${key.spendingPublicKey}`);
  if (key.version > 1) {
    out.line(
      "  tickets routed to earlier versions stay readable and actionable: the old keys are re-derived",
    );
  }
  const result = {
    party: actor.party.address,
    keyVersion: key.version,
    publicKey: key.publicKey,
    spendingKey: key.spendingPublicKey,
    txHash,
  };
  out.result(result);
  return result;
});
