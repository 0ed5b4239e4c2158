import { describePlan } from "./plan.shared";

describePlan("cloud");
