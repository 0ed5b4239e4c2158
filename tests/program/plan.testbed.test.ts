import { describePlan } from "./plan.shared";

describePlan("testbed");
