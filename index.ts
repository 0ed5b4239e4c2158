/**
 * zta-testbed: two (or more) Kubernetes clusters joined into ONE Istio multi-primary, multi-network mesh.
 * Config is read and validated once (all problems at once) before any resource exists.
 */
import { loadConfig } from "./components/config/load";
import { deployTestbed } from "./components/program";

export = deployTestbed(loadConfig());
