import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { HostConfig, SshConfig } from "../../config/model";
import { renderHostCheck } from "./host";
import { remoteScript } from "./remoteScript";
import { Connection, sshConnection } from "./ssh";

export interface BareMetalHostArgs {
    readonly host: HostConfig;
    readonly ssh: SshConfig;
}

/**
 * One server: its SSH connection and the first command run on it (wait for SSH, check the OS and addresses, set
 * the host name). Everything else done on the host depends on `ready`.
 */
export class BareMetalHost extends pulumi.ComponentResource {
    public readonly config: HostConfig;
    public readonly connection: Connection;
    public readonly sshUser: string;
    public readonly ready: command.remote.Command;

    constructor(name: string, args: BareMetalHostArgs, opts?: pulumi.ComponentResourceOptions) {
        super("zta:platform:BareMetalHost", name, {}, opts);
        this.config = args.host;
        this.connection = sshConnection(args.ssh, args.host);
        this.sshUser = args.ssh.user;
        const addresses = [args.host.management.address, ...(args.host.service ? [args.host.service.address] : [])];
        this.ready = remoteScript(
            `${name}-ready`,
            {
                connection: this.connection,
                sshUser: this.sshUser,
                script: renderHostCheck({ hostname: args.host.hostname, addresses }),
            },
            { parent: this },
        );
        this.registerOutputs({ hostname: args.host.hostname, management: args.host.management.address, roles: args.host.roles });
    }
}
