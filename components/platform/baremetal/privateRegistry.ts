import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { RegistryConfig } from "../../config/model";
import { InfraCa } from "./infraCa";
import { registryPushAddress, renderRegistryRemove, renderRegistrySecrets, renderRegistrySetup } from "./registry";
import { remoteScript } from "./remoteScript";
import { BareMetalHost } from "./server";

export interface PrivateRegistryArgs {
    readonly config: RegistryConfig;
    readonly host: BareMetalHost;
    readonly ca: InfraCa;
    /** Registry image pinned by tag (versions.ts). */
    readonly image: string;
}

/** The push registry's user: never the pull user (`registry.user`), whose login every pull Secret carries. */
export function registryPushUser(pullUser: string): string {
    return pullUser === "zta-push" ? "zta-pusher" : "zta-push";
}

/** `kubernetes.io/dockerconfigjson` content for one registry login. */
export function dockerConfigJson(server: string, username: string, password: string): string {
    const auth = Buffer.from(`${username}:${password}`).toString("base64");
    return JSON.stringify({ auths: { [server]: { username, password, auth } } });
}

/**
 * The private registry on its host: server certificate from the infrastructure CA (IP and DNS SANs), random
 * bcrypt-hashed login and http.secret kept in state as secrets (rendered once, so re-runs change nothing),
 * secrets handed to the setup script on stdin only.
 */
export class PrivateRegistry extends pulumi.ComponentResource {
    /** `host:port` nodes pull from (containerd certs.d directory name, image prefix, pull-secret key). */
    public readonly hostPort: string;
    public readonly caPem: pulumi.Output<string>;
    /** `.dockerconfigjson` for pull secrets (secret). */
    public readonly dockerConfigJson: pulumi.Output<string>;
    /**
     * `{username, password}` of the push registry (127.0.0.1 on the registry host; secret). The pull login, in every
     * pull Secret, cannot push: the cluster-facing registry is read-only.
     */
    public readonly login: pulumi.Output<{ username: string; password: string }>;
    /** The setup run: the registry answers 401/200 once it completed. */
    public readonly setup: command.remote.Command;

    constructor(name: string, args: PrivateRegistryArgs, opts?: pulumi.ComponentResourceOptions) {
        super("zta:platform:PrivateRegistry", name, {}, opts);
        const host = args.host.config;
        const address = host.management.address;
        this.hostPort = `${address}:${args.config.port}`;
        this.caPem = args.ca.certPem;

        const server = args.ca.issueServerCert(
            `${name}-tls`,
            {
                commonName: args.config.dnsName ?? address,
                // 127.0.0.1: the push registry, reached on the host or through an SSH tunnel.
                ipAddresses: [address, ...(host.service ? [host.service.address] : []), registryPushAddress],
                dnsNames: [...new Set([host.hostname, ...(args.config.dnsName ? [args.config.dnsName] : [])])],
                validityHours: args.config.certValidityHours,
            },
            this,
        );
        // No special characters: the password travels through docker config JSON and curl config quoting.
        const password = new random.RandomPassword(`${name}-password`, { length: 32, special: false }, { parent: this });
        const httpSecret = new random.RandomPassword(`${name}-http-secret`, { length: 48, special: false }, { parent: this });
        const pushPassword = new random.RandomPassword(`${name}-push-password`, { length: 32, special: false }, { parent: this });

        const user = args.config.user;
        const pushUser = registryPushUser(user);
        const secrets = pulumi
            .all([server.keyPem, password.result, password.bcryptHash, httpSecret.result, pushPassword.result, pushPassword.bcryptHash])
            .apply(([serverKeyPem, pass, hash, http, pushPass, pushHash]) =>
                renderRegistrySecrets({
                    serverKeyPem,
                    htpasswd: `${user}:${hash}`,
                    httpSecret: http,
                    username: user,
                    password: pass,
                    pushHtpasswd: `${pushUser}:${pushHash}`,
                    pushUsername: pushUser,
                    pushPassword: pushPass,
                }),
            );
        // Named by host: moving the registry is a new resource whose predecessor removes the old container.
        this.setup = remoteScript(
            `${name}-${host.name}-setup`,
            {
                connection: args.host.connection,
                sshUser: args.host.sshUser,
                script: pulumi.all([server.certPem, args.ca.certPem]).apply(([serverCertPem, caPem]) =>
                    renderRegistrySetup({
                        advertisedHost: address,
                        bindAddress: address,
                        port: args.config.port,
                        image: args.image,
                        serverCertPem,
                        caPem,
                    }),
                ),
                destroy: renderRegistryRemove(),
                stdin: secrets,
            },
            { parent: this, dependsOn: [args.host.ready] },
        );
        this.login = pulumi.secret(pushPassword.result.apply((pass) => ({ username: pushUser, password: pass })));
        this.dockerConfigJson = pulumi.secret(password.result.apply((pass) => dockerConfigJson(this.hostPort, user, pass)));
        this.registerOutputs({ hostPort: this.hostPort, caPem: this.caPem });
    }
}
