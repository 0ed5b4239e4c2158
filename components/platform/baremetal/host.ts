/**
 * The first script run on each server over SSH: it proves the connection works and the machine is one the later
 * scripts can handle (root, Debian or Ubuntu, the configured addresses present), and sets the host name. Everything
 * else run on the host depends on it. Pure renderer; tests/platform/baremetal runs the script against stubs.
 */
import { isDnsSubdomain, parseIPv4 } from "../../core/net";
import { renderScript, shellQuote } from "./script";

export interface HostCheckInput {
    /** The host name to set (lowercase RFC 1123, at most 64 characters: the kernel's limit). */
    readonly hostname: string;
    /** IPv4 addresses that must be assigned to local interfaces (management first, then any service address). */
    readonly addresses: readonly string[];
}

function validate(input: HostCheckInput): void {
    if (input.hostname.length > 64 || !isDnsSubdomain(input.hostname)) {
        throw new Error(`hostname: expected a lowercase host name of at most 64 characters like "server1", got "${input.hostname}"`);
    }
    if (input.addresses.length === 0) {
        throw new Error("addresses: expected at least one IPv4 address");
    }
    input.addresses.forEach((address, i) => {
        const value = parseIPv4(address);
        if (value === undefined) {
            throw new Error(`addresses[${i}]: expected an IPv4 address like "10.0.0.10", got "${address}"`);
        }
        // 0.0.0.0/8 and 127.0.0.0/8: no peer reaches a node there.
        if (value >>> 24 === 0 || value >>> 24 === 127) {
            throw new Error(`addresses[${i}]: ${address} is not an address other machines can reach`);
        }
        if (input.addresses.indexOf(address) !== i) {
            throw new Error(`addresses[${i}]: ${address} is listed twice`);
        }
    });
}

/** The host check script; throws an Error naming the offending field on invalid input. */
export function renderHostCheck(input: HostCheckInput): string {
    validate(input);
    const sections: string[] = [];

    sections.push(`NODE_NAME=${shellQuote(input.hostname)}
ADDRESSES=(${input.addresses.map(shellQuote).join(" ")})
`);

    sections.push(`# Root: the scripts after this one install packages, write /etc and run kubeadm.
uid="$(id -u)"
if [[ "$uid" != 0 ]]; then
    die "host: this script must run as root, but runs as uid $uid: connect as root, or as a user with passwordless sudo"
fi
`);

    sections.push(`# Debian or Ubuntu (or a derivative that says so in ID_LIKE): the later scripts use apt, dpkg and Debian's
# package names. os-release(5) is parsed, never sourced: it is data, not a script.
os_release="$ROOT/etc/os-release"
if [[ ! -f "$os_release" ]]; then
    os_release="$ROOT/usr/lib/os-release"
fi
if [[ ! -f "$os_release" ]]; then
    die "host: neither /etc/os-release nor /usr/lib/os-release exists; cannot tell whether this is Debian or Ubuntu"
fi
os_id="" os_like="" os_name=""
while IFS='=' read -r key value || [[ -n "$key" ]]; do
    # Values may be quoted (os-release(5)); the fields read here need no unescaping.
    if [[ "$value" =~ ^\\"(.*)\\"$ || "$value" =~ ^\\'(.*)\\'$ ]]; then
        value="\${BASH_REMATCH[1]}"
    fi
    case "$key" in
    ID) os_id="$value" ;;
    ID_LIKE) os_like="$value" ;;
    PRETTY_NAME) os_name="$value" ;;
    *) ;;
    esac
done <"$os_release"
supported=0
read -r -a os_ids <<<"$os_id $os_like"
for id in "\${os_ids[@]}"; do
    if [[ "$id" == debian || "$id" == ubuntu ]]; then
        supported=1
    fi
done
if ((!supported)); then
    die "host: \${os_name:-an unnamed system} (ID=$os_id, ID_LIKE=$os_like) is neither Debian nor Ubuntu; the node scripts need apt and Debian's packages"
fi
`);

    sections.push(`# Each configured address on a local interface: the kubelet, the API server and peers use them. One line per
# address: "INDEX: IFNAME inet ADDRESS/PREFIX ...".
assigned="$(ip -o -4 addr show | awk '$3 == "inet" { split($4, address, "/"); print address[1], $2 }')"
missing=()
found=""
for address in "\${ADDRESSES[@]}"; do
    interface="$(awk -v address="$address" '$1 == address { print $2; exit }' <<<"$assigned")"
    if [[ -n "$interface" ]]; then
        found+="\${found:+, }$address on $interface"
    else
        missing+=("$address")
    fi
done
if ((\${#missing[@]})); then
    local_addresses="$(awk 'NF { printf "%s%s on %s", (n++ ? ", " : ""), $1, $2 }' <<<"$assigned")"
    die "host: \${missing[*]} not assigned to any interface of this machine (it has: \${local_addresses:-no IPv4 address}); check the host's addresses in the stack configuration"
fi
`);

    sections.push(`# The host name, static (/etc/hostname) and transient (the kernel's), set only when either differs.
static="$(hostnamectl --static)"
transient="$(hostnamectl --transient)"
if [[ "$static" != "$NODE_NAME" || "$transient" != "$NODE_NAME" ]]; then
    hostnamectl set-hostname "$NODE_NAME"
    changed "host name \${static:-(none)} -> $NODE_NAME"
fi
printf 'zta: host %s: %s, root, %s\\n' "$NODE_NAME" "\${os_name:-$os_id}" "$found"
`);

    return renderScript("host check", sections);
}
