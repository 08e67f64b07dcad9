/**
 * What the sandbox's third-party intelligence sources know about the sandbox domain, the keys they accept, and what a
 * scan with the intelligence modules finds: the data IntelWorld's emulations serve.
 */
import { internetdbRecords, resolutions, shodanHosts, virustotalDomains } from "./IntelData/Hosts.js"
import { sightings } from "./IntelData/Names.js"

export * from "./IntelData/Hosts.js"
export * from "./IntelData/Names.js"
export * from "./IntelData/People.js"
export * from "./IntelData/Registries.js"
export * from "./IntelData/Sandbox.js"
export * from "./IntelData/Threats.js"

/** The keys each keyed source accepts, by source id; tests configure modules with them. */
export const keys = {
  certspotter: "k_certspotter_sandbox_0f3a9c",
  hackertarget: "ht-sandbox-7d1e52",
  shodan: "ShodanSandboxKey0000000000000001",
  virustotal: "4f0c9e1b7d2a6e8f3b5c0d9a1e7f2b6c4d8e0a3f5b7c9d1e2f4a6b8c0d2e4f6a",
  urlscan: "0190c1f4-7b2e-7c3d-9e4f-5a6b7c8d9e0f",
  hibp: "hibp0sandbox1key2for3tests4only5",
  otx: "0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9",
  github: "github_pat_11SANDBOX0000000000000_mirageSandboxTokenForTestsOnly000000",
  bufferover: "bo-sandbox-3c9d1e7a",
  binaryedge: "be-sandbox-5a0e2c9d7b41",
  // HTTP Basic's `username:api_key`.
  passivetotal: "analyst@mirage-sandbox.test:pt-sandbox-8e21c4",
  securitytrails: "st-sandbox-1f7a3c5e9b",
  chaos: "chaos-sandbox-6d2b8e0f41a7",
  c99: "C99-SANDBOX-2E4F-6A8B",
  fullhunt: "fh-sandbox-0c3e5a7b9d",
  zoomeye: "ZE-sandbox-4b6d8f0a2c",
  netlas: "netlas-sandbox-7e9a1c3b5d",
  bevigil: "bevigil-sandbox-3a5c7e9b1d",
  // HTTP Basic's `API_ID:API_SECRET`.
  censys: "censys-sandbox-id:censys-sandbox-secret-9f1e",
  builtwith: "bw-sandbox-8c0e2a4b6d",
  whoisxml: "at_sandbox5b7d9f1a3c",
  // The same account's key, on the Reverse WHOIS host.
  whoisxml_reverse: "at_sandbox5b7d9f1a3c",
  leakix: "leakix-sandbox-2d4f6a8c0e",
  ipinfo: "ipinfo-sandbox-5e7a9c1b",
  peeringdb: "pdb-sandbox.0a2c4e6b8d",
  hunter_io: "hunter-sandbox-9a7c5e3b1d",
  urlhaus: "urlhaus-sandbox-4c6e8a0b2d",
  numverify: "numverify-sandbox-6b8d0f2a4c"
} as const

/** Every address the intelligence sources know of. */
export const knownAddresses: ReadonlyArray<string> = [
  ...sightings.map((sighting) => sighting.ip),
  ...shodanHosts.map((host) => host.ip),
  ...internetdbRecords.map((record) => record.ip),
  ...resolutions.filter((r) => r.record_type === "A" || r.record_type === "AAAA").map((r) => r.address),
  ...virustotalDomains.flatMap((report) => report.records.filter((r) => r.type === "A").map((r) => r.value))
]

/**
 * What a scan of `domain` with every intelligence module (keys configured, default configs)
 * finds when every entity found is processed in turn, in canonical form. Includes the target.
 */
export const expectedIntel = {
  domains: [
    "api.mirage-sandbox.test",
    "cdn.mirage-sandbox.test",
    "ci.mirage-sandbox.test",
    "dev.mirage-sandbox.test",
    "edge.mirage-sandbox.test",
    "legacy.mirage-sandbox.test",
    "mail.mirage-sandbox.test",
    "mirage-sandbox.test",
    "ns1.sandbox-dns.test",
    "ns2.sandbox-dns.test",
    "shop.mirage-sandbox.test",
    "staging.mirage-sandbox.test",
    "vpn.mirage-sandbox.test",
    "www.mirage-sandbox.test"
  ],
  /** Names only the intelligence sources know (not in FixtureWorld's DNS zone or certificates). */
  intelOnlyDomains: ["ci.mirage-sandbox.test", "shop.mirage-sandbox.test", "staging.mirage-sandbox.test"],
  ips: [
    "192.0.2.10",
    "192.0.2.11",
    "192.0.2.12",
    "192.0.2.14",
    "192.0.2.20",
    "198.51.100.25",
    "2001:db8::11",
    "203.0.113.5"
  ],
  emails: ["devops@mirage-sandbox.test", "hostmaster@mirage-sandbox.test"],
  urls: [
    "http://legacy.mirage-sandbox.test/old.php?id=1",
    "http://mirage-sandbox.test/",
    "http://mirage-sandbox.test/pay",
    "https://dev.mirage-sandbox.test:8443/debug",
    "https://github.com/mirage-sandbox/infra/blob/5e0c1d2b3a49f8e7d6c5b4a39281706f5e4d3c2b/deploy/inventory.yml",
    "https://github.com/someone-else/notes/blob/0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b/README.md",
    "https://shop.mirage-sandbox.test/",
    "https://shop.mirage-sandbox.test/cart",
    "https://www.mirage-sandbox.test/",
    "https://www.mirage-sandbox.test/login?next=%2Fdashboard"
  ],
  organizations: ["Edge Transit Networks", "Example Hosting GmbH", "Mirage Sandbox Ltd"],
  asns: ["AS64500", "AS64501", "AS64502"],
  netblocks: [
    "192.0.2.0/24",
    "198.51.100.0/24",
    "2001:db8::/32",
    "2001:db8::/48",
    "203.0.113.0/24",
    "203.0.113.0/26",
    "203.0.113.64/27"
  ],
  openPorts: [
    "192.0.2.10:443",
    "192.0.2.10:80",
    "192.0.2.11:443",
    "192.0.2.11:80",
    "192.0.2.12:443",
    "192.0.2.20:22",
    "192.0.2.20:8080",
    "198.51.100.25:25",
    "198.51.100.25:993",
    "203.0.113.5:1194",
    "203.0.113.5:22"
  ],
  technologies: [
    "Dovecot imapd",
    "Jenkins",
    "OpenSSH",
    "Postfix smtpd",
    "cpe:/a:f5:nginx:1.24.0",
    "cpe:/a:jenkins:jenkins:2.440",
    "cpe:/a:openbsd:openssh",
    "nginx"
  ],
  breaches: ["ComboListSpam2024", "SandboxForums"],
  /** In the sources' answers but never to be reported. */
  absent: [
    "mirage-sandbox.test.attacker.example",
    "notmirage-sandbox.test",
    "ca@othersite.example",
    "abuse@sandbox-registrar.test",
    "Sandbox Registrar Inc",
    "other-company.test",
    "shop.other-company.test",
    "payments.example",
    "198.18.0.7",
    "mx.hosting-provider.example",
    "Unrelated2022",
    "NXDOMAIN"
  ]
} as const
