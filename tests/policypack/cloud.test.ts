import { describePolicyStack } from "./shared";

describePolicyStack("cloud");
