import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { Connection, commandDefaults, remoteInvocation } from "./ssh";

export interface RemoteScriptArgs {
    readonly connection: Connection;
    /** SSH user (decides whether scripts run through sudo). */
    readonly sshUser: string;
    /** The rendered script run on create and whenever it (or stdin) changes: every script is idempotent. */
    readonly script: pulumi.Input<string>;
    /**
     * Script run on destroy. Such a command is replaced delete-first: created first, the old delete (kubeadm reset,
     * registry removal) would run AFTER the new create on the same host and undo it.
     */
    readonly destroy?: string;
    /** Secrets for the script, on its stdin only. */
    readonly stdin?: pulumi.Input<string>;
    /** Re-run (replace) when any of these change. Only for commands without `destroy` (see there). */
    readonly triggers?: pulumi.Input<unknown[]>;
    /** stdout is a credential (the kubeconfig read-back): secret, and never logged. */
    readonly secretStdout?: boolean;
}

/** One rendered script run over SSH by the command provider. */
export function remoteScript(name: string, args: RemoteScriptArgs, opts: pulumi.CustomResourceOptions): command.remote.Command {
    if (args.destroy !== undefined && args.triggers !== undefined) {
        throw new Error(`${name}: a command with a destroy script must not have triggers (a replacement would undo its own work)`);
    }
    const lifecycle: pulumi.CustomResourceOptions = args.destroy !== undefined ? { deleteBeforeReplace: true } : {};
    return new command.remote.Command(
        name,
        {
            connection: args.connection,
            create: pulumi.output(args.script).apply((s) => remoteInvocation(s, args.sshUser)),
            ...(args.destroy !== undefined ? { delete: remoteInvocation(args.destroy, args.sshUser) } : {}),
            ...(args.stdin !== undefined ? { stdin: pulumi.secret(args.stdin) } : {}),
            ...(args.triggers !== undefined ? { triggers: args.triggers } : {}),
            ...(args.secretStdout ? { logging: "stderr" as const } : {}),
            ...commandDefaults(),
        },
        { ...opts, ...lifecycle, ...(args.secretStdout ? { additionalSecretOutputs: ["stdout"] } : {}) },
    );
}
