import { describePolicyStack } from "./shared";

describePolicyStack("sim");
