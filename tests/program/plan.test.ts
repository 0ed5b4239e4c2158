// The committed stacks, each run once for its plan snapshot, its rendered checks and the policy pack (one file: each
// test file loads the SDK and the program anew, about a second of CPU).
import { describePlan } from "./plan.shared";

describePlan("testbed");
describePlan("cloud");
describePlan("sim");
