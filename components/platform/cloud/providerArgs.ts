import * as pulumi from "@pulumi/pulumi";
import { CloudProviderSettings } from "../../config/model";

/**
 * An explicit cloud provider's arguments from the provider config the user set the usual way (`azure-native:*`,
 * `gcp:*`), secrets as Pulumi secrets. Explicit providers do not read the stack's config themselves.
 */
export function providerArgs(settings: CloudProviderSettings): Record<string, pulumi.Input<unknown>> {
    return {
        ...settings.plain,
        ...Object.fromEntries(Object.entries(settings.secret).map(([k, v]) => [k, v.output()])),
    };
}
