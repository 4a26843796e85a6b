/**
 * The role tasks. Each action lives in its own file, loaded only when the task runs; the files
 * parse options, call the library in `lib/app/`, and print.
 */
import { ArgumentType } from "hardhat/types/arguments";

import { withChecked, withCommon } from "./options.js";
import { uiTask } from "./ui.js";

const id = {
  name: "id",
  description: "Ticket ID, e.g. T-7KQ4-M2XD-9PWA",
  type: ArgumentType.STRING,
  defaultValue: "",
} as const;

export const settlementTasks = [
  withCommon(
    "registry:deploy",
    "Deploy the SettlementRegistry with Ignition (admin: --as or the first account)",
  )
    .addOption({
      name: "deploymentId",
      description: "Ignition deployment id (default chain-<chain id>, which the tasks look up)",
      type: ArgumentType.STRING,
      defaultValue: "",
    })
    .setAction(() => import("./registry-deploy.js"))
    .build(),

  withCommon("party:admit", "Admit a party to the consortium (admin)")
    .addOption({
      name: "address",
      description: "The party's account",
      type: ArgumentType.STRING,
      defaultValue: "",
    })
    .addOption({
      name: "name",
      description: "Its unique short name, e.g. custodian-bank",
      type: ArgumentType.STRING,
      defaultValue: "",
    })
    .setAction(() => import("./party-admit.js"))
    .build(),
  withCommon("party:suspend", "Suspend a party (admin)")
    .addOption({
      name: "party",
      description: "Name or address",
      type: ArgumentType.STRING,
      defaultValue: "",
    })
    .setAction(() => import("./party-suspend.js"))
    .build(),
  withCommon("party:restore", "Restore a suspended party (admin)")
    .addOption({
      name: "party",
      description: "Name or address",
      type: ArgumentType.STRING,
      defaultValue: "",
    })
    .setAction(() => import("./party-restore.js"))
    .build(),
  withCommon("party:register-key", "Register or rotate your keys (--as the party)")
    .setAction(() => import("./party-register-key.js"))
    .build(),
  withCommon("party:list", "List the consortium's parties")
    .setAction(() => import("./party-list.js"))
    .build(),

  withCommon("ticket:create", "Register a trade ticket and its approval route (originator)")
    .addOption({
      name: "file",
      description: "Ticket JSON file, or a sese.023 instruction (.xml); see examples/",
      type: ArgumentType.STRING,
      defaultValue: "",
    })
    .addOption({
      name: "route",
      description: "Approvers in order, comma-separated names or addresses",
      type: ArgumentType.STRING,
      defaultValue: "",
    })
    .addOption({
      name: "id",
      description: "Ticket ID to use (default: a new one; reuse it to retry safely)",
      type: ArgumentType.STRING,
      defaultValue: "",
    })
    .setAction(() => import("./ticket-create.js"))
    .build(),
  withCommon("ticket:show", "Decrypt, verify and show a ticket, its route and history")
    .addOption(id)
    .setAction(() => import("./ticket-show.js"))
    .build(),
  withCommon(
    "ticket:check",
    "Match a ticket with your own instruction and positions; propose OK or NG",
  )
    .addOption(id)
    .addOption({
      name: "instruction",
      description: "Your own instruction for the trade: ticket JSON or sese.023 XML",
      type: ArgumentType.STRING,
      defaultValue: "",
    })
    .addOption({
      name: "positions",
      description: "Your position file (sr-positions/1); without it only the match is checked",
      type: ArgumentType.STRING,
      defaultValue: "",
    })
    .addOption({
      name: "side",
      description: "counterparty | same-side (default: inferred from the sender's reference)",
      type: ArgumentType.STRING,
      defaultValue: "",
    })
    .addOption({
      name: "out",
      description: "Write the check result here (0600), for a later --checked",
      type: ArgumentType.STRING,
      defaultValue: "",
    })
    .setAction(() => import("./ticket-check.js"))
    .build(),
  withCommon("ticket:export", "Write the ISO 20022 status advice of each version of a ticket")
    .addOption(id)
    .addOption({
      name: "format",
      description: "Message format: sese.024",
      type: ArgumentType.STRING,
      defaultValue: "sese.024",
    })
    .addOption({
      name: "out",
      description: "File name; each version is written as <name>.v<N>.xml (default: print)",
      type: ArgumentType.STRING,
      defaultValue: "",
    })
    .setAction(() => import("./ticket-export.js"))
    .build(),
  withChecked("ticket:approve", "Approve (OK) a ticket when it is your turn")
    .addOption(id)
    .setAction(() => import("./ticket-approve.js"))
    .build(),
  withChecked("ticket:reject", "Return (NG) a ticket with ISO reason codes")
    .addOption(id)
    .addOption({
      name: "reason",
      description: "Reason codes, comma-separated, e.g. DDAT, NMAT/DDAT or NMAT/DDAT,PEND/MONY",
      type: ArgumentType.STRING,
      defaultValue: "",
    })
    .addOption({
      name: "note",
      description: "Free-text narrative, encrypted for the route parties",
      type: ArgumentType.STRING,
      defaultValue: "",
    })
    .setAction(() => import("./ticket-reject.js"))
    .build(),
  withCommon(
    "ticket:amend",
    "Resubmit an open or returned ticket with corrected details (originator)",
  )
    .addOption(id)
    .addOption({
      name: "file",
      description: "Corrected ticket JSON file",
      type: ArgumentType.STRING,
      defaultValue: "",
    })
    .setAction(() => import("./ticket-amend.js"))
    .build(),
  withCommon(
    "ticket:reroute",
    "Give an open or returned ticket a new approval route, e.g. around a suspended party (originator)",
  )
    .addOption(id)
    .addOption({
      name: "route",
      description: "The new approvers in order, comma-separated names or addresses",
      type: ArgumentType.STRING,
      defaultValue: "",
    })
    .setAction(() => import("./ticket-reroute.js"))
    .build(),
  withCommon("ticket:cancel", "Cancel an open or returned ticket (originator)")
    .addOption(id)
    .setAction(() => import("./ticket-cancel.js"))
    .build(),
  withCommon("ticket:list", "Your inbox: the tickets that concern you")
    .addOption({
      name: "state",
      description: "waiting | open | returned | completed | cancelled | all",
      type: ArgumentType.STRING,
      defaultValue: "all",
    })
    .setAction(() => import("./ticket-list.js"))
    .build(),
  withCommon("ticket:watch", "Live notifications for you; resumes where it stopped")
    .addFlag({ name: "once", description: "Deliver what is pending and exit" })
    .addOption({
      name: "interval",
      description: "Polling interval in ms",
      type: ArgumentType.INT,
      defaultValue: 1000,
    })
    .setAction(() => import("./ticket-watch.js"))
    .build(),
  uiTask,
];
