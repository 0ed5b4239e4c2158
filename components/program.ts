import * as pulumi from "@pulumi/pulumi";
import { TestbedConfig } from "./config/model";
import { Identity, keycloakAdminUser } from "./identity/identity";
import { Mesh } from "./mesh/mesh";
import { MeshPolicy } from "./policy/meshPolicy";
import { SampleApps } from "./workloads/sampleApps";
import { SampleIngress } from "./workloads/sampleIngress";
import { loadIstioDashboards } from "./observability/istioDashboards";
import { kialiClientId, kialiLabels, kialiSignInRole, kialiWebRoot, observabilityNamespace } from "./observability/objects";
import { kialiRedirectUris } from "./observability/kiali";
import { Observability } from "./observability/observability";
import { checkLabel, verifyNamespace } from "./verification/checks";
import { ClusterVerification } from "./verification/verification";
import { awaitRemoteSyncGates } from "./verification/remoteSyncGate";
import { controlPlaneChecksDuringUp, withControlPlaneVerdicts } from "./verification/controlPlaneRun";
import { MeshPeering, createPlatform, resolvePeers } from "./platform";
import { crossNetworkBlocks } from "./core/networkPolicy";
import { sampleGatewayDestinations } from "./workloads/samplePolicy";
import { observabilityGatewayDestinations } from "./observability/policy";
import { parseTaggedImage } from "./core/net";
import { versionPairWarning } from "./core/versions";

/**
 * The composition root: platform → mesh → policy → identity → workloads → observability → verification, for a
 * validated config. Returns the stack outputs.
 * Peers are read and validated before any resource is created.
 */
export async function deployTestbed(config: TestbedConfig): Promise<Record<string, unknown>> {
    // Once per preview/up, after the config is valid: a profile outside Istio's support matrix is said out loud.
    const unsupported = versionPairWarning(config.versionProfile, config.versions);
    if (unsupported !== undefined) {
        void pulumi.log.warn(unsupported);
    }
    const peers = await resolvePeers(config);
    // Istio's dashboards are fetched (and checked against their pins) before anything is created.
    const obs = config.observability;
    const istioDashboards =
        obs.istioDashboards.kind === "none"
            ? {}
            : await loadIstioDashboards({
                  istioVersion: config.versions.istio,
                  ...(obs.istioDashboards.kind === "directory"
                      ? { directory: obs.istioDashboards.path }
                      : { baseUrl: obs.istioDashboards.baseUrl }),
              });
    const platform = createPlatform(config);
    const clusters = platform.clusters;
    const identity = new Identity("identity", {
        config: config.identity,
        clusters,
        bareMetal: platform.bareMetal,
        clients: [
            { namespace: verifyNamespace, podLabels: { [checkLabel]: "ingress-jwt" } },
            { namespace: observabilityNamespace, podLabels: { ...kialiLabels } },
        ],
        ui: {
            clientId: kialiClientId,
            signInRole: kialiSignInRole,
            redirectUris: kialiRedirectUris(obs.kialiLocalPort),
            // Kiali sends PKCE from 2.2x on; 2.0 does not, and would be refused.
            // (By tag: the image may carry a digest after it.)
            requirePkce: parseTaggedImage(config.versions.kialiImage)?.tag !== "v2.0.0",
            observerUser: obs.observerUser,
            ...(obs.credentials ? { observerPassword: obs.credentials.observerPassword.output() } : {}),
        },
    });
    const mesh = new Mesh("mesh", {
        meshId: config.meshId,
        trustDomain: config.trustDomain,
        versions: config.versions,
        helm: config.helm,
        hub: config.istioHub,
        ingressNamespace: config.ingressNamespace,
        workloadCertTtlHours: config.workloadCertTtlHours,
        ca: config.ca,
        clusters,
        peers,
    });

    // One loop over the clusters: the zero-trust baseline (policy layer) after each control plane, then the workloads
    // (samples, JWT ingress) after that baseline. Names and `aliases` keep the URNs these had under the Mesh component.
    const underMesh = { aliases: [{ parent: mesh }] };
    const meshReady: Record<string, pulumi.Resource[]> = {};
    const underTest: pulumi.Resource[] = [...mesh.remoteSecrets];
    // The other networks' east-west gateways, as their addresses once assigned (read back after each gateway's
    // release); clusters of other stacks do not export theirs, so with peers the 15443 egress stays the whole space.
    const remoteGatewayBlocks = (i: number, includePeers: boolean) =>
        pulumi
            .all(mesh.controlPlanes.filter((_, j) => j !== i).map((p) => p.eastWestAddress))
            .apply((addresses) => crossNetworkBlocks(addresses, includePeers && peers.length > 0));
    const hasOtherNetworks = clusters.length > 1 || peers.length > 0;
    const sampleDestinations = sampleGatewayDestinations(config.ingressNamespace);
    clusters.forEach((cluster, i) => {
        const plane = mesh.controlPlanes[i];
        const crossNetwork = hasOtherNetworks ? remoteGatewayBlocks(i, true) : pulumi.output([]);
        const policy = new MeshPolicy(
            `mesh-${cluster.name}-policy`,
            {
                cluster,
                istiod: plane.istiodRelease,
                systemNamespace: plane.systemNamespace,
                ingressNamespace: plane.ingressNamespace,
                ingressNamespaceName: config.ingressNamespace,
                remoteApiServers: clusters.filter((c) => c.name !== cluster.name).map((c) => c.apiServer),
                hasExternalPeers: peers.length > 0,
                // Each gateway's egress mirrors the holes the workloads' policies make for it (derived, not listed).
                gatewayDestinations: {
                    ingress: sampleDestinations.ingress,
                    eastWest: [...sampleDestinations.eastWest, ...observabilityGatewayDestinations(i === 0)],
                },
                remoteGatewayBlocks: crossNetwork,
            },
            underMesh,
        );
        // What injected workloads need first: injection (istiod, the CNI agent) and the zero-trust baseline.
        const injectionReady = [plane.istiodRelease, plane.cniRelease, policy.peerAuthentication, policy.allowNothing];
        meshReady[cluster.name] = [...injectionReady, ...policy.networkPolicies];

        // helloworld v1 and v2 alternate over the clusters, so each version lives in one network.
        const samples = new SampleApps(
            `mesh-${cluster.name}-samples`,
            {
                cluster,
                trustDomain: config.trustDomain,
                ingressNamespace: config.ingressNamespace,
                helloworldVersions: [i % 2 === 0 ? "v1" : "v2"],
                registry: config.sampleRegistry,
                istioHub: config.istioHub,
                meshReady: injectionReady,
                ...(hasOtherNetworks ? { remoteGatewayBlocks: crossNetwork } : {}),
            },
            underMesh,
        );
        const ingress = new SampleIngress(
            `mesh-${cluster.name}-jwt-ingress`,
            {
                cluster,
                ingressNamespace: config.ingressNamespace,
                identity: {
                    issuer: identity.realm.issuer,
                    audience: identity.realm.audience,
                    jwks: identity.jwks,
                    host: config.identity.ingressHost,
                    tls: identity.ingressTls,
                },
                after: [plane.istiodRelease, plane.ingressNamespace, ...samples.deployments],
            },
            underMesh,
        );
        underTest.push(
            ...samples.deployments,
            ...plane.gateways,
            ...ingress.resources,
            policy.peerAuthentication,
            policy.allowNothing,
            ...policy.networkPolicies,
        );
    });

    // Observability after the mesh it watches: Prometheus everywhere, federation, Grafana and Kiali in the first cluster.
    const observability = new Observability("observability", {
        config: obs,
        clusters,
        trustDomain: config.trustDomain,
        versions: config.versions,
        ingressNamespace: config.ingressNamespace,
        workloadCertTtlHours: config.workloadCertTtlHours,
        istioHub: config.istioHub,
        meshReady,
        istioDashboards,
        // The mesh cluster's Prometheus federates this stack's other clusters only.
        federationBlocks: clusters.length > 1 ? remoteGatewayBlocks(0, false) : [],
        identity: { issuer: identity.realm.issuer, caCertPem: identity.tls.caCertPem, keycloak: identity.endpoint, ready: identity.ready },
    });

    // Verification last, in every cluster: the zero-trust claims as Jobs the engine awaits (a failure fails `up`);
    // which checks run where is the registry's (components/verification/registry.ts).
    const verificationInputs = pulumi.all([identity.jwks, mesh.rootCertPem]).apply(([jwks, root]) => ({
        config: { ...config, baremetal: undefined, identity: { ...config.identity, tls: undefined } },
        jwks,
        root,
    }));
    const verification = clusters.map(
        (cluster) =>
            new ClusterVerification(`verify-${cluster.name}`, {
                cluster,
                ingressNamespace: config.ingressNamespace,
                sampleRegistry: config.sampleRegistry,
                identity: {
                    tokenUrl: `${identity.realm.issuer}/protocol/openid-connect/token`,
                    clientId: identity.realm.clientId,
                    clientSecret: identity.clientSecret,
                    caCertPem: identity.tls.caCertPem,
                    badTokens: identity.badTokens,
                    keycloak: identity.endpoint,
                    ingressHost: config.identity.ingressHost,
                },
                after: [...underTest, ...identity.ready],
                inputs: verificationInputs,
                simulated: config.platform === "sim",
                timeoutSeconds: config.verificationTimeoutSeconds,
            }),
    );

    // Then, on every `up`, each istiod must report every remote cluster synced, or the update fails naming it.
    const meshClusters = [...config.clusters.map((c) => c.name), ...peers.map((p) => p.name)];
    // A failure is logged as an error (which fails the update, naming each unsynced remote) rather than thrown: a
    // program that throws after registering resources leaves the engine a rejected stack, not a diagnostic.
    const remoteSync: Record<string, Record<string, string>> | string = await awaitRemoteSyncGates(
        clusters.map((cluster, i) => ({
            cluster: cluster.name,
            adminKubeconfig: cluster.adminKubeconfig,
            peers: meshClusters.filter((n) => n !== cluster.name),
            after: [mesh.controlPlanes[i].istiodRelease, ...mesh.remoteSecrets],
            timeoutSeconds: config.verificationTimeoutSeconds,
        })),
    ).then(
        (states) => states ?? "read from each istiod during `pulumi up` (not in a preview)",
        async (e: unknown) => {
            const message = e instanceof Error ? e.message : String(e);
            await pulumi.log.error(message);
            return `FAILED: ${message}`;
        },
    );

    // Where Pulumi's machine reaches istiod (controlPlaneChecks, e.g. the sim): the control-plane checks too; a failure
    // fails the update, and their verdicts stand in for the Jobs that cannot run there.
    const controlPlane = await controlPlaneChecksDuringUp({
        settings: config.controlPlaneChecks,
        clusters,
        expect: {
            trustDomain: config.trustDomain,
            workloadCertTtlHours: config.workloadCertTtlHours,
            ingressNamespace: config.ingressNamespace,
            istioVersion: config.versions.istio,
        },
        rootCertPem: mesh.rootCertPem,
        after: [...underTest, ...identity.ready, ...mesh.remoteSecrets],
        // no waiting for istiod to catch up when a remote is already known not to sync (the gate said so)
        timeoutSeconds:
            typeof remoteSync === "string" && remoteSync.startsWith("FAILED") ? 0 : Math.min(config.verificationTimeoutSeconds, 60),
    }).catch((e: unknown) => ({ error: e instanceof Error ? e.message : String(e) }));
    const controlPlaneFailures =
        controlPlane === undefined
            ? []
            : "error" in controlPlane
              ? [`control-plane checks could not run: ${controlPlane.error}`]
              : controlPlane.results.filter((r) => !r.ok).map((r) => `control-plane check ${r.id} failed in ${r.cluster}: ${r.detail}`);
    for (const failure of controlPlaneFailures) {
        await pulumi.log.error(failure);
    }
    const controlPlaneReport = controlPlane && !("error" in controlPlane) ? controlPlane : undefined;

    const meshPeering: pulumi.Output<MeshPeering> = mesh.rootCertPem.apply((rootCert) => ({
        meshId: config.meshId,
        trustDomain: config.trustDomain,
        rootCert,
        clusters: config.clusters.map((c) => ({ name: c.name, network: c.network })),
    }));

    return {
        versions: { profile: config.versionProfile, ...config.versions },
        rootCert: mesh.rootCertPem,
        clusters: pulumi
            .all([mesh.clusters])
            .apply(([status]) => Object.fromEntries(clusters.map((c) => [c.name, { apiServer: c.apiServer, ...status[c.name] }]))),
        peerClusters: peers.map((p) => ({ name: p.name, network: p.network, stack: p.stack })),
        meshPeering,
        /** What `npm run verify` checks the running control planes against (with rootCert and clusters). */
        controlPlaneExpectations: {
            trustDomain: config.trustDomain,
            workloadCertTtlHours: config.workloadCertTtlHours,
            ingressNamespace: config.ingressNamespace,
            istio: config.versions.istio,
        },
        /** Per cluster, istiod's sync state of each remote cluster, read after the update (the gate above). */
        remoteClusterSync: remoteSync,
        readerKubeconfigs: pulumi.secret(mesh.readerKubeconfigs),
        identity: {
            issuer: identity.realm.issuer,
            clientId: identity.realm.clientId,
            audience: identity.realm.audience,
            ingressHost: config.identity.ingressHost,
            caCert: identity.tls.caCertPem,
            clientSecret: identity.clientSecret,
            // In-cluster Keycloak only: on a host it has no admin user (the realm is code).
            ...(identity.adminPassword
                ? { keycloakAdmin: pulumi.secret(identity.adminPassword.apply((password) => ({ username: keycloakAdminUser, password }))) }
                : {}),
        },
        observability: {
            prometheus: observability.prometheusUrls,
            meshPrometheus: observability.prometheusUrls[clusters[0].name],
            grafana: {
                access: `kubectl -n ${observabilityNamespace} port-forward svc/grafana 3000 (cluster ${clusters[0].name}); http://localhost:3000`,
                admin: observability.grafanaAdmin,
            },
            kiali: {
                access: `kubectl -n ${observabilityNamespace} port-forward svc/kiali ${obs.kialiLocalPort}:20001 (cluster ${clusters[0].name}); http://localhost:${obs.kialiLocalPort}${kialiWebRoot}`,
                login: pulumi.secret(
                    (identity.observerPassword ?? pulumi.output("")).apply((password) => ({ username: obs.observerUser, password })),
                ),
            },
            istioDashboards: Object.keys(istioDashboards).sort(),
        },
        verification: pulumi
            .all(verification.map((v) => v.results))
            .apply((results) =>
                Object.fromEntries(clusters.map((c, i) => [c.name, withControlPlaneVerdicts(c.name, results[i], controlPlaneReport)])),
            ),
        ...(controlPlaneReport
            ? { controlPlaneChecks: controlPlaneReport.results.map((r) => `${r.ok ? "PASS" : "FAIL"} ${r.id} ${r.cluster}: ${r.detail}`) }
            : {}),
        ...platform.outputs,
    };
}
