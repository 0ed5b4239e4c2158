import { describePolicyStack } from "./policy.shared";

describePolicyStack("testbed");
