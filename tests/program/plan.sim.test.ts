import { describePlan } from "./plan.shared";

describePlan("sim");
