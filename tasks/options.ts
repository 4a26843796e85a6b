/**
 * The options every settlement task takes: who acts, where its local data lives, which registry,
 * and whether to print JSON.
 */
import { task } from "hardhat/config";
import { ArgumentType } from "hardhat/types/arguments";

export function withCommon(name: string, description: string) {
  return task(name, description)
    .addOption({
      name: "as",
      description: "The party acting: its name in the directory or its address",
      type: ArgumentType.STRING,
      defaultValue: "",
    })
    .addOption({
      name: "dataDir",
      description: "Folder of the party's ciphertext store, outbox and state (default .settlement)",
      type: ArgumentType.STRING,
      defaultValue: "",
    })
    .addOption({
      name: "registry",
      description: "Registry address (default: the one Ignition deployed on this chain)",
      type: ArgumentType.STRING,
      defaultValue: "",
    })
    .addFlag({ name: "json", description: "Print JSON for scripts instead of tables" });
}

/** The common options and those of a checked decision (ticket:approve, ticket:reject). */
export function withChecked(name: string, description: string) {
  return withCommon(name, description)
    .addOption({
      name: "checked",
      description: "Decide on this check result (the file `ticket:check --out` wrote)",
      type: ArgumentType.STRING,
      defaultValue: "",
    })
    .addOption({
      name: "instruction",
      description: "Check in place against your own instruction first (ticket JSON or sese.023)",
      type: ArgumentType.STRING,
      defaultValue: "",
    })
    .addOption({
      name: "positions",
      description: "With --instruction: your position file (sr-positions/1)",
      type: ArgumentType.STRING,
      defaultValue: "",
    });
}
