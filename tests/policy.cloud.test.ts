import { describePolicyStack } from "./policy.shared";

describePolicyStack("cloud");
