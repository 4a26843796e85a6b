/** `ui`: a party's dashboard in the browser (the action is in ui-serve.ts, loaded when it runs). */
import { ArgumentType } from "hardhat/types/arguments";

import { withCommon } from "./options.js";

export const uiTask = withCommon("ui", "Start your dashboard in the browser (--as the party)")
  .addOption({
    name: "port",
    description: "TCP port to listen on; 0 picks a free one",
    type: ArgumentType.INT,
    defaultValue: 0,
  })
  .addOption({
    name: "host",
    description: "Address to listen on; 127.0.0.1 keeps it to this machine",
    type: ArgumentType.STRING,
    defaultValue: "127.0.0.1",
  })
  .setAction(() => import("./ui-serve.js"))
  .build();
