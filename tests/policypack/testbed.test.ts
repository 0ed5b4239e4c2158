import { describePolicyStack } from "./shared";

describePolicyStack("testbed");
