/**
 * How every remote command reaches a host: one typed SSH connection per host (secret key, optional bastion, pinned
 * host key when given) and one way of invoking a rendered script. Pure, so tests check exactly what the command
 * provider receives.
 */
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { HostConfig, SshConfig } from "../../config/model";
import { shellQuote } from "./script";

/** Largest script passed as one argument (below Linux's 128 KiB MAX_ARG_STRLEN, leaving room for quoting). */
export const maxScriptBytes = 100_000;

/** Dial attempts before a host counts as unreachable (with `perDialTimeoutSeconds`: about five minutes). */
export const dialErrorLimit = 30;
export const perDialTimeoutSeconds = 10;

/** The connection to `host` as the command provider takes it; the private key stays a secret. */
export function sshConnection(ssh: SshConfig, host: HostConfig): command.types.input.remote.ConnectionArgs {
    const privateKey = ssh.privateKey.output();
    return {
        host: host.management.address,
        port: ssh.port,
        user: ssh.user,
        privateKey,
        // Unset means "not verified" in the provider: README tells lab admins to pin host keys.
        ...(host.hostKey !== undefined ? { hostKey: host.hostKey } : {}),
        dialErrorLimit,
        perDialTimeout: perDialTimeoutSeconds,
        ...(ssh.bastion
            ? {
                  proxy: {
                      host: ssh.bastion.host,
                      port: ssh.bastion.port,
                      user: ssh.bastion.user,
                      privateKey,
                      ...(ssh.bastion.hostKey !== undefined ? { hostKey: ssh.bastion.hostKey } : {}),
                      dialErrorLimit,
                      perDialTimeout: perDialTimeoutSeconds,
                  },
              }
            : {}),
    };
}

/**
 * The command line that runs a rendered script on a host: always bash (the login shell may be dash), as root
 * (`sudo -n`, never prompting, when the SSH user is not root). The script is an argument, so stdin stays free for
 * the secrets the script reads; scripts embed no secret (script.ts), so the command line holds none.
 */
export function remoteInvocation(script: string, sshUser: string): string {
    // Linux caps one argv string at 128 KiB (MAX_ARG_STRLEN), and the login shell receives the whole QUOTED
    // command as one argument: check what is sent, at render time, not on the host.
    const line = `${sshUser === "root" ? "" : "sudo -n "}bash -c ${shellQuote(script)} zta-testbed`;
    if (Buffer.byteLength(line) > maxScriptBytes) {
        throw new Error(`rendered command is ${Buffer.byteLength(line)} bytes; the limit for one bash -c argument is ${maxScriptBytes}`);
    }
    return line;
}

/** Options every remote.Command of this layer shares. */
export function commandDefaults(): Pick<command.remote.CommandArgs, "addPreviousOutputInEnv"> {
    // Never hand the previous run's stdout/stderr to the next run's environment: the kubeconfig read-back's stdout
    // is a credential, and environments are visible to every process of the user.
    return { addPreviousOutputInEnv: false };
}

export type Connection = pulumi.Input<command.types.input.remote.ConnectionArgs>;
