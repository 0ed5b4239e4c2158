/**
 * `clusters[i].eastWestSourceRanges`: who may reach a cluster's east-west gateway LoadBalancer (its Service's
 * `loadBalancerSourceRanges`). Unset: no restriction — the other networks' sidecars arrive from their clusters'
 * outbound (SNAT/NAT gateway) addresses, which the program cannot know; mTLS with the mesh root still authenticates
 * every connection. Called only from clusters.ts.
 */
import { checkCidr } from "../core/net";
import { Problems, show } from "./problems";

/** At most this many ranges (cloud load balancers cap the rules they accept; AKS and GKE allow far more). */
export const maxEastWestSourceRanges = 100;

/** Validated ranges (canonical CIDRs), or [] when unset; problems name `clusters[i].eastWestSourceRanges[j]`. */
export function readEastWestSourceRanges(problems: Problems, at: string, value: readonly string[] | undefined): string[] {
    if (value === undefined) {
        return [];
    }
    const key = `${at}.eastWestSourceRanges`;
    if (value.length === 0) {
        problems.add(key, "is an empty list, which restricts nothing; leave it unset for no restriction, or list CIDRs");
        return [];
    }
    if (value.length > maxEastWestSourceRanges) {
        problems.add(key, `lists ${value.length} ranges; at most ${maxEastWestSourceRanges}`);
        return [];
    }
    const ranges: string[] = [];
    value.forEach((range, j) => {
        const checked = checkCidr(range);
        if ("hostBitsOf" in checked) {
            problems.add(`${key}[${j}]`, `${show(range)} has host bits set; did you mean "${checked.hostBitsOf}"?`);
        } else if ("malformed" in checked) {
            problems.add(`${key}[${j}]`, `expected an IP address or a CIDR like "203.0.113.0/24", got ${show(range)}`);
        } else if (checked.cidr.endsWith("/0")) {
            problems.add(`${key}[${j}]`, `${show(range)} is every address; leave eastWestSourceRanges unset for no restriction`);
        } else if (ranges.includes(checked.cidr)) {
            problems.add(`${key}[${j}]`, `${show(range)} is listed twice`);
        } else {
            ranges.push(checked.cidr);
        }
    });
    return ranges;
}
