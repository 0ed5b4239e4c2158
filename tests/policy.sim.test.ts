import { describePolicyStack } from "./policy.shared";

describePolicyStack("sim");
