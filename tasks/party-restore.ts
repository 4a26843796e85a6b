import { membershipAction } from "./party-suspend.js";

export default membershipAction(false);
