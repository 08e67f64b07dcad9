/**
 * What the sandbox's third-party intelligence sources know about the sandbox domain, the keys they accept, and what a
 * scan with the intelligence modules finds: the data IntelWorld's emulations serve.
 */
import type * as AddressSources from "./AddressSources.js"
import type * as CertspotterServer from "./CertspotterServer.js"
import type * as ContactSources from "./ContactSources.js"
import type * as GithubServer from "./GithubServer.js"
import type * as HackertargetServer from "./HackertargetServer.js"
import type * as HibpServer from "./HibpServer.js"
import type * as InternetdbServer from "./InternetdbServer.js"
import type * as KeyedSources from "./KeyedSources.js"
import type * as OrganizationSources from "./OrganizationSources.js"
import type * as OtxServer from "./OtxServer.js"
import type * as PassiveSources from "./PassiveSources.js"
import type * as RdapServer from "./RdapServer.js"
import type * as RipestatServer from "./RipestatServer.js"
import type * as ShodanServer from "./ShodanServer.js"
import { sandboxFaviconHash } from "./ThreatData.js"
import type * as UrlscanServer from "./UrlscanServer.js"
import type * as VirustotalServer from "./VirustotalServer.js"
import type * as WaybackServer from "./WaybackServer.js"

/** The sandbox domain (FixtureWorld's; repeated because FixtureWorld imports this file). */
export const domain = "mirage-sandbox.test"

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

/** The sandbox company, as registries and directories name it. */
export const org = "Mirage Sandbox Ltd"
const hosting = "Example Hosting GmbH"
const transit = "Edge Transit Networks"

const validity = { not_before: "2025-03-01T07:16:31Z", not_after: "2025-08-29T07:16:30Z" }

export const issuances: ReadonlyArray<CertspotterServer.Issuance> = [
  { id: "9211000001", dns_names: ["mirage-sandbox.test", "www.mirage-sandbox.test"], ...validity, cert_sha256: "a1" },
  { id: "9211000002", dns_names: ["*.mirage-sandbox.test", "mirage-sandbox.test"], ...validity, cert_sha256: "a2" },
  { id: "9211000003", dns_names: ["api.mirage-sandbox.test"], ...validity, cert_sha256: "a3" },
  {
    id: "9211000004",
    dns_names: ["staging.mirage-sandbox.test", "*.staging.mirage-sandbox.test"],
    ...validity,
    cert_sha256: "a4"
  },
  { id: "9211000005", dns_names: ["mail.mirage-sandbox.test"], ...validity, cert_sha256: "a5" },
  {
    // A certificate that also names a look-alike domain: only the sandbox's name may be reported.
    id: "9211000006",
    dns_names: ["vpn.mirage-sandbox.test", "mirage-sandbox.test.attacker.example"],
    ...validity,
    cert_sha256: "a6"
  },
  { id: "9211000007", dns_names: ["shop.other-company.test"], ...validity, cert_sha256: "a7" }
]

export const captures: ReadonlyArray<WaybackServer.Capture> = [
  { original: "http://mirage-sandbox.test/", timestamp: "20190412083011", statuscode: "200", mimetype: "text/html" },
  {
    original: "https://www.mirage-sandbox.test/login?next=%2Fdashboard",
    timestamp: "20230105101500",
    statuscode: "200",
    mimetype: "text/html"
  },
  {
    // A later capture of the same URL: `collapse=urlkey` keeps one.
    original: "https://www.mirage-sandbox.test/login?next=%2Fdashboard",
    timestamp: "20240105101500",
    statuscode: "200",
    mimetype: "text/html"
  },
  {
    original: "https://shop.mirage-sandbox.test/cart",
    timestamp: "20240611120000",
    statuscode: "200",
    mimetype: "text/html"
  },
  {
    original: "http://legacy.mirage-sandbox.test/old.php?id=1",
    timestamp: "20150301000000",
    statuscode: "200",
    mimetype: "text/html"
  },
  {
    original: "https://dev.mirage-sandbox.test:8443/debug",
    timestamp: "20220817093000",
    statuscode: "500",
    mimetype: "text/html"
  },
  { original: "https://other-company.test/", timestamp: "20240101000000", statuscode: "200", mimetype: "text/html" }
]

export const hostRecords: ReadonlyArray<HackertargetServer.HostRecord> = [
  { host: "mirage-sandbox.test", ip: "192.0.2.10" },
  { host: "www.mirage-sandbox.test", ip: "192.0.2.11" },
  { host: "api.mirage-sandbox.test", ip: "192.0.2.12" },
  { host: "mail.mirage-sandbox.test", ip: "198.51.100.25" },
  { host: "vpn.mirage-sandbox.test", ip: "203.0.113.5" }
]

/** What the keyless passive sources saw: the host search's names, the shop, and a look-alike the loose ones match. */
export const sightings: ReadonlyArray<PassiveSources.Sighting> = [
  ...hostRecords,
  { host: "shop.mirage-sandbox.test", ip: "192.0.2.14" },
  { host: "mirage-sandbox.test.attacker.example", ip: "198.18.0.7" }
]

/** URLs Common Crawl and OTX's URL list hold: the sandbox's pages, and another company's. */
export const crawledUrls: ReadonlyArray<string> = [
  "https://www.mirage-sandbox.test/",
  "https://www.mirage-sandbox.test/login?next=%2Fdashboard",
  "https://shop.mirage-sandbox.test/cart",
  "http://legacy.mirage-sandbox.test/old.php?id=1",
  "https://other-company.test/"
]

const registrant: RdapServer.Contact = {
  handle: "MSL-001",
  roles: ["registrant"],
  kind: "org",
  fn: org,
  org,
  email: "hostmaster@mirage-sandbox.test"
}

export const rdapDomains: ReadonlyArray<RdapServer.Domain> = [{
  handle: "D1234567-SANDBOX",
  ldhName: domain,
  registered: "2019-04-12T08:00:00Z",
  nameservers: ["ns1.sandbox-dns.test", "ns2.sandbox-dns.test"],
  entities: [
    {
      handle: "9999",
      roles: ["registrar"],
      kind: "org",
      fn: "Sandbox Registrar Inc",
      entities: [{
        handle: "9999-ABUSE",
        roles: ["abuse"],
        kind: "org",
        fn: "Abuse desk",
        email: "abuse@sandbox-registrar.test"
      }]
    },
    registrant,
    {
      handle: "MSL-TECH",
      roles: ["technical", "administrative"],
      kind: "individual",
      fn: "Sandbox Hostmaster",
      email: "hostmaster@mirage-sandbox.test"
    }
  ]
}]

export const networks: ReadonlyArray<RdapServer.Network> = [
  {
    handle: "NET-192-0-2-0-1",
    name: "MIRAGE-SANDBOX-NET",
    startAddress: "192.0.2.0",
    endAddress: "192.0.2.255",
    cidrs: [{ prefix: "192.0.2.0", length: 24 }],
    country: "GB",
    entities: [registrant]
  },
  {
    // No cidr0 extension: the block comes from the start and end addresses.
    handle: "NET-198-51-100-0-1",
    name: "EXAMPLE-HOSTING-1",
    startAddress: "198.51.100.0",
    endAddress: "198.51.100.255",
    country: "DE",
    entities: [{ handle: "EHG-1", roles: ["registrant"], kind: "org", fn: hosting, org: hosting }]
  },
  {
    // A range that is not one CIDR block: 203.0.113.0/26 and 203.0.113.64/27.
    handle: "NET-203-0-113-0-1",
    name: "EDGE-TRANSIT-POP1",
    startAddress: "203.0.113.0",
    endAddress: "203.0.113.95",
    country: "NL",
    entities: [{ handle: "ETN-1", roles: ["registrant"], kind: "org", fn: transit }]
  },
  {
    handle: "NET6-2001-DB8-1",
    name: "MIRAGE-SANDBOX-V6",
    startAddress: "2001:db8::",
    endAddress: "2001:db8:0:ffff:ffff:ffff:ffff:ffff",
    cidrs: [{ prefix: "2001:db8::", length: 48 }],
    country: "GB",
    entities: [registrant]
  }
]

export const announcements: ReadonlyArray<RipestatServer.Announcement> = [
  { prefix: "192.0.2.0/24", asn: 64500 },
  { prefix: "198.51.100.0/24", asn: 64501 },
  { prefix: "203.0.113.0/24", asn: 64502 },
  { prefix: "2001:db8::/32", asn: 64500 }
]

export const autonomousSystems: ReadonlyArray<RipestatServer.AutonomousSystem> = [
  { asn: 64500, holder: `MIRAGE-SANDBOX-AS - ${org}` },
  { asn: 64501, holder: `EXAMPLE-HOSTING - ${hosting}` },
  { asn: 64502, holder: `EDGE-TRANSIT - ${transit}` }
]

const nginx = { product: "nginx", version: "1.24.0", cpe23: ["cpe:2.3:a:f5:nginx:1.24.0"] }

export const shodanHosts: ReadonlyArray<ShodanServer.Host> = [
  {
    ip: "192.0.2.10",
    hostnames: ["mirage-sandbox.test"],
    org,
    isp: org,
    asn: "AS64500",
    services: [{ port: 80, transport: "tcp", ...nginx }, { port: 443, transport: "tcp", ...nginx }]
  },
  {
    ip: "192.0.2.11",
    hostnames: ["www.mirage-sandbox.test"],
    org,
    isp: org,
    asn: "AS64500",
    services: [{ port: 80, transport: "tcp", ...nginx }, { port: 443, transport: "tcp", ...nginx }]
  },
  {
    ip: "192.0.2.20",
    hostnames: ["staging.mirage-sandbox.test"],
    org,
    isp: org,
    asn: "AS64500",
    // Staging serves the website's icon: the favicon pivot finds it.
    faviconHash: sandboxFaviconHash,
    services: [{
      port: 8080,
      transport: "tcp",
      product: "Jenkins",
      version: "2.440",
      cpe23: ["cpe:2.3:a:jenkins:jenkins:2.440"]
    }]
  },
  {
    ip: "198.51.100.25",
    hostnames: ["mail.mirage-sandbox.test"],
    org: hosting,
    isp: hosting,
    asn: "AS64501",
    os: "Debian",
    services: [
      { port: 25, transport: "tcp", product: "Postfix smtpd" },
      { port: 993, transport: "tcp", product: "Dovecot imapd" }
    ]
  },
  {
    ip: "203.0.113.5",
    hostnames: ["vpn.mirage-sandbox.test"],
    org: transit,
    isp: transit,
    asn: "AS64502",
    services: [
      { port: 22, transport: "tcp", product: "OpenSSH", version: "9.6p1", cpe23: ["cpe:2.3:a:openbsd:openssh:9.6p1"] },
      // A banner without a product: a port, but no technology.
      { port: 1194, transport: "udp" }
    ]
  }
]

export const internetdbRecords: ReadonlyArray<InternetdbServer.HostRecord> = [
  {
    ip: "192.0.2.10",
    ports: [80, 443],
    cpes: ["cpe:/a:f5:nginx:1.24.0"],
    hostnames: ["mirage-sandbox.test"],
    tags: [],
    vulns: []
  },
  {
    ip: "192.0.2.12",
    ports: [443],
    cpes: ["cpe:/a:f5:nginx:1.24.0"],
    hostnames: ["api.mirage-sandbox.test"],
    tags: ["cdn"],
    vulns: []
  },
  {
    ip: "192.0.2.20",
    ports: [22, 8080],
    cpes: ["cpe:/a:jenkins:jenkins:2.440", "cpe:/a:openbsd:openssh"],
    hostnames: ["staging.mirage-sandbox.test"],
    tags: ["devops"],
    vulns: ["CVE-2024-23897"]
  }
]

export const virustotalDomains: ReadonlyArray<VirustotalServer.DomainReport> = [
  { name: domain, records: [{ type: "A", value: "192.0.2.10" }] },
  { name: "www.mirage-sandbox.test", records: [{ type: "A", value: "192.0.2.11" }] },
  { name: "api.mirage-sandbox.test", records: [{ type: "A", value: "192.0.2.12" }] },
  { name: "dev.mirage-sandbox.test", records: [{ type: "A", value: "198.51.100.30" }] },
  { name: "staging.mirage-sandbox.test", records: [{ type: "A", value: "192.0.2.20" }] },
  { name: "cdn.mirage-sandbox.test", records: [{ type: "CNAME", value: "edge.mirage-sandbox.test" }] }
]

const page = (url: string, ip: string, asn: string, asnname: string, title: string) => ({
  url,
  ip,
  asn,
  asnname,
  server: "nginx",
  title,
  status: "200"
})

export const scans: ReadonlyArray<UrlscanServer.Scan> = [
  {
    uuid: "0f7a1c52-8f0e-4d3b-9a61-2b7c5d4e3f21",
    time: "2025-05-20T09:12:44.120Z",
    url: "https://www.mirage-sandbox.test/",
    page: page("https://www.mirage-sandbox.test/", "192.0.2.11", "AS64500", "MIRAGE-SANDBOX-AS, GB", "Mirage Sandbox")
  },
  {
    uuid: "3b9e2d10-4c5f-4a7e-8b1d-6f0e9c8b7a65",
    time: "2025-04-02T17:40:03.512Z",
    url: "https://shop.mirage-sandbox.test/",
    page: page("https://shop.mirage-sandbox.test/cart", "192.0.2.14", "AS64500", "MIRAGE-SANDBOX-AS, GB", "Cart")
  },
  {
    // Redirected off the domain: the page and its address are someone else's.
    uuid: "7c2d4e6f-1a3b-4c5d-8e9f-0a1b2c3d4e5f",
    time: "2025-03-11T06:01:59.000Z",
    url: "http://mirage-sandbox.test/pay",
    page: page("https://payments.example/checkout", "198.18.0.7", "AS64496", "PAYMENTS-EXAMPLE, US", "Checkout")
  }
]

export const breaches: ReadonlyArray<HibpServer.Breach> = [
  {
    Name: "SandboxForums",
    Title: "Sandbox Forums",
    Domain: "sandboxforums.test",
    BreachDate: "2023-11-02",
    AddedDate: "2024-01-15T10:22:31Z",
    PwnCount: 184_223,
    Description: "In November 2023, the Sandbox Forums suffered a data breach exposing members' data.",
    DataClasses: ["Email addresses", "Passwords", "Usernames"],
    IsVerified: true,
    IsSensitive: false,
    IsSpamList: false
  },
  {
    Name: "ComboListSpam2024",
    Title: "Combo List Spam 2024",
    Domain: "",
    BreachDate: "2024-03-01",
    AddedDate: "2024-03-20T08:00:00Z",
    PwnCount: 2_019_112,
    Description: "A spam list of email addresses circulated in 2024.",
    DataClasses: ["Email addresses"],
    IsVerified: false,
    IsSensitive: false,
    IsSpamList: true
  },
  {
    Name: "Unrelated2022",
    Title: "Unrelated 2022",
    Domain: "unrelated.test",
    BreachDate: "2022-01-01",
    AddedDate: "2022-02-01T00:00:00Z",
    PwnCount: 1000,
    Description: "A breach no sandbox account is in.",
    DataClasses: ["Email addresses"],
    IsVerified: true,
    IsSensitive: false,
    IsSpamList: false
  }
]

export const breachedAccounts: Readonly<Record<string, ReadonlyArray<string>>> = {
  "hostmaster@mirage-sandbox.test": ["SandboxForums", "ComboListSpam2024"]
}

const seen = (first: string, last: string) => ({ first, last })

export const resolutions: ReadonlyArray<OtxServer.Resolution> = [
  {
    hostname: domain,
    address: "192.0.2.10",
    record_type: "A",
    ...seen("2019-05-01T00:00:00", "2025-05-30T00:00:00"),
    asn: "AS64500 mirage-sandbox"
  },
  {
    hostname: "www.mirage-sandbox.test",
    address: "192.0.2.11",
    record_type: "A",
    ...seen("2019-05-01T00:00:00", "2025-05-30T00:00:00"),
    asn: "AS64500 mirage-sandbox"
  },
  {
    hostname: "www.mirage-sandbox.test",
    address: "2001:0db8:0000:0000:0000:0000:0000:0011",
    record_type: "AAAA",
    ...seen("2021-01-01T00:00:00", "2025-05-30T00:00:00"),
    asn: "AS64500 mirage-sandbox"
  },
  {
    hostname: "api.mirage-sandbox.test",
    address: "192.0.2.12",
    record_type: "A",
    ...seen("2020-02-01T00:00:00", "2025-05-30T00:00:00"),
    asn: "AS64500 mirage-sandbox"
  },
  {
    hostname: "staging.mirage-sandbox.test",
    address: "192.0.2.20",
    record_type: "A",
    ...seen("2024-09-01T00:00:00", "2025-05-01T00:00:00"),
    asn: "AS64500 mirage-sandbox"
  },
  {
    hostname: "cdn.mirage-sandbox.test",
    address: "edge.mirage-sandbox.test",
    record_type: "CNAME",
    ...seen("2022-01-01T00:00:00", "2025-05-30T00:00:00"),
    asn: null
  },
  {
    hostname: "legacy.mirage-sandbox.test",
    address: "NXDOMAIN",
    record_type: "A",
    ...seen("2015-01-01T00:00:00", "2019-03-01T00:00:00"),
    asn: null
  },
  {
    // A CNAME to a provider's name: not the sandbox's, so not reported.
    hostname: "mail.mirage-sandbox.test",
    address: "mx.hosting-provider.example",
    record_type: "CNAME",
    ...seen("2018-01-01T00:00:00", "2019-01-01T00:00:00"),
    asn: null
  }
]

export const codeFiles: ReadonlyArray<GithubServer.CodeFile> = [
  {
    repository: "mirage-sandbox/infra",
    path: "deploy/inventory.yml",
    sha: "5e0c1d2b3a49f8e7d6c5b4a39281706f5e4d3c2b",
    content: [
      "all:",
      "  hosts:",
      "    staging.mirage-sandbox.test:",
      "      ansible_host: 192.0.2.20",
      "    ci.mirage-sandbox.test:",
      "      contact: devops@mirage-sandbox.test",
      ""
    ].join("\n")
  },
  {
    repository: "someone-else/notes",
    path: "README.md",
    sha: "0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b",
    content: "Links: https://mirage-sandbox.test/ and notmirage-sandbox.test (ask ca@othersite.example)\n"
  }
]

/** Addresses of the sandbox's people seen on the web (Skymem), the ones in public keys, and their profiles. */
export const webEmails: ReadonlyArray<string> = ["hostmaster@mirage-sandbox.test", "devops@mirage-sandbox.test"]

export const publicKeys: ReadonlyArray<ContactSources.PublicKey> = [
  {
    fingerprint: "3F0C9A1E5B7D2C4A6E8F0B1D3C5E7A9B1D3F5A7C",
    created: 1_556_668_800,
    flags: "",
    uids: ["Mirage Sandbox Hostmaster <hostmaster@mirage-sandbox.test>"]
  },
  {
    // Revoked: its address was real once.
    fingerprint: "9B1D3F5A7C3F0C9A1E5B7D2C4A6E8F0B1D3C5E7A",
    created: 1_420_070_400,
    flags: "r",
    uids: ["Sandbox DevOps <devops@mirage-sandbox.test>", "Someone Else <ca@othersite.example>"]
  }
]

export const profiles: ReadonlyArray<ContactSources.Profile> = [{
  email: "hostmaster@mirage-sandbox.test",
  username: "mirage-hostmaster",
  displayName: "Mirage Sandbox Hostmaster",
  accounts: [{ shortname: "github", username: "mirage-sandbox", url: "https://github.com/mirage-sandbox" }]
}]

/**
 * The sandbox's code account on Keybase, with what it has proven: its accounts elsewhere and its domains; and its
 * hostmaster, the code organization's public member, who proves his GitHub account and the company's domain.
 */
export const keybaseUsers: ReadonlyArray<ContactSources.KeybaseUser> = [{
  username: "mirage-sandbox",
  proofs: [
    { proof_type: "github", nametag: "mirage-sandbox", service_url: "https://github.com/mirage-sandbox" },
    { proof_type: "twitter", nametag: "miragesandbox", service_url: "https://twitter.com/miragesandbox" },
    { proof_type: "dns", nametag: "mirage-sandbox.test", service_url: "dns://mirage-sandbox.test" },
    {
      proof_type: "generic_web_site",
      nametag: "www.mirage-sandbox.test",
      service_url: "https://www.mirage-sandbox.test"
    }
  ]
}, {
  username: "mirage-hostmaster",
  proofs: [
    { proof_type: "github", nametag: "mirage-hostmaster", service_url: "https://github.com/mirage-hostmaster" },
    { proof_type: "dns", nametag: "mirage-sandbox.test", service_url: "dns://mirage-sandbox.test" }
  ]
}]

/** The sandbox company's Entra ID tenant, by its domain. */
export const tenants: ReadonlyArray<OrganizationSources.Tenant> = [
  { domain, id: "5d1c0f3e-8a2b-4c6d-9e7f-0a1b2c3d4e5f", brand: org }
]

/** The company's accounts on the code and image hosts (an organization, its public member, someone else's fork). */
export const codeAccounts: ReadonlyArray<OrganizationSources.CodeAccount> = [
  {
    login: "mirage-sandbox",
    kind: "organization",
    projects: [
      { name: "infra", description: "Deployment inventory" },
      { name: "website", description: "https://www.mirage-sandbox.test/" },
      { name: "api-gateway", description: "Edge gateway" },
      { name: "nginx", description: "Fork of nginx", fork: true }
    ],
    members: ["mirage-hostmaster"]
  },
  { login: "mirage-hostmaster", kind: "user", projects: [{ name: "dotfiles", description: "" }], members: [] }
]

/** The addresses Hunter indexed under the sandbox domain (one of another company's, seen on its pages). */
export const hunterEmails: ReadonlyArray<OrganizationSources.PublishedEmail> = [
  { value: "hostmaster@mirage-sandbox.test", firstName: "Host", lastName: "Master", position: "IT", confidence: 92 },
  { value: "devops@mirage-sandbox.test", confidence: 71 },
  { value: "ca@othersite.example", confidence: 30 }
]

/** What URLhaus saw on the sandbox's forgotten host (and on another company's). */
export const malwareUrls: ReadonlyArray<KeyedSources.MalwareUrl> = [
  {
    host: "legacy.mirage-sandbox.test",
    url: "http://legacy.mirage-sandbox.test/old.php?id=1",
    status: "offline",
    threat: "malware_download",
    tags: ["exe"]
  },
  {
    host: "payments.example",
    url: "http://payments.example/update.bin",
    status: "online",
    threat: "malware_download",
    tags: []
  }
]

/** What EmailRep says of the sandbox's addresses (and of someone's free-mail one). */
export const reputations: ReadonlyArray<ContactSources.Reputation> = [
  {
    email: "hostmaster@mirage-sandbox.test",
    reputation: "medium",
    credentialsLeaked: true,
    profiles: ["github", "gravatar"],
    freeProvider: false
  },
  { email: "someone@freemail.example", reputation: "low", credentialsLeaked: false, profiles: [], freeProvider: true }
]

/** The OTX threat reports listing the sandbox's forgotten host, and an unrelated address. */
export const pulses: ReadonlyArray<OtxServer.Pulse> = [
  {
    id: "6601a2b3c4d5e6f708192a3b",
    name: "Malware hosted on compromised PHP sites",
    indicator: "legacy.mirage-sandbox.test",
    tags: ["php", "dropper"],
    malware: ["Emotet"]
  },
  { id: "6601a2b3c4d5e6f708192a3c", name: "Scanner", indicator: "198.18.0.7", tags: ["scanner"], malware: [] }
]

/** PeeringDB's records of the sandbox's ASes (the hosting one without a website, the transit one not there). */
export const peeringRecords: ReadonlyArray<AddressSources.PeeringRecord> = [
  { asn: 64500, website: "https://mirage-sandbox.test/", type: "Content" },
  { asn: 64501, website: "", type: "Cable/DSL/ISP" }
]

/** What the address registries (ip-api, IPinfo, Team Cymru) know: the RDAP networks, announcements, reverse names. */
export const registries: AddressSources.Registries = {
  networks,
  announcements,
  systems: autonomousSystems,
  hostnames: Object.fromEntries(hostRecords.map((record) => [record.ip, record.host]))
}

/** Every address the intelligence sources know of. */
export const knownAddresses: ReadonlyArray<string> = [
  ...sightings.map((sighting) => sighting.ip),
  ...shodanHosts.map((host) => host.ip),
  ...internetdbRecords.map((record) => record.ip),
  ...resolutions.filter((r) => r.record_type === "A" || r.record_type === "AAAA").map((r) => r.address),
  ...virustotalDomains.flatMap((report) => report.records.filter((r) => r.type === "A").map((r) => r.value))
]

/** A running server per source, by source id. */

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
